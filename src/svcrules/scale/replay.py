"""Scale: folding one partition of events in its own ledger, in event time, with a snapshot
beside the output so that a failed or extended audit resumes instead of restarting.

Files under ``out``: ``outcomes/part-NNNNN.parquet`` (the outcomes that hold at the end, and
the rejections) and ``snapshots/part-NNNNN.json``: the ledger's snapshot, the tally of
outcomes, and a digest of the partition's input event ids. On a new run a partition whose
digest matches is read back, not folded; one whose snapshot's events are all still in its input
(an extended audit: more events, a later ``until``) restores the ledger and applies only the new
events; any other is folded from the start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from svcrules.diagnostics import Diagnostic
from svcrules.engine import Engine
from svcrules.errors import EventError
from svcrules.scale.frame import Tally, apply_rows
from svcrules.scale.keys import label_of, node
from svcrules.scale.rows import COLUMNS, Row, instant, table_of

TIMES = (COLUMNS.index("due"), COLUMNS.index("at"))
"""The columns holding aware datetimes (ISO text in a snapshot's tally)."""


def sort_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events in event time: by (UTC instant of ``at``, id); malformed ones first."""

    def order(e: dict[str, Any]) -> tuple[int, dt.datetime, str]:
        try:
            return (1, instant(e["at"]), str(e.get("id")))
        except (KeyError, ValueError, TypeError):
            return (0, dt.datetime.min.replace(tzinfo=dt.UTC), str(e.get("id")))

    return sorted(events, key=order)


def _digest(ids: Sequence[str]) -> str:
    h = hashlib.sha256()
    for i in sorted(ids):
        h.update(i.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def _row_json(row: Row) -> list[Any]:
    out = list(row)
    for i in TIMES:
        if out[i] is not None:
            out[i] = out[i].isoformat()
    return out


def _row_back(data: list[Any]) -> Row:
    data = data + [None] * (len(COLUMNS) - len(data))  # a tally saved before a column was added
    for i in TIMES:
        if data[i] is not None:
            data[i] = dt.datetime.fromisoformat(data[i])
    return tuple(data)


def check_keys(
    rows: Sequence[Row], fields: Sequence[str], labels: Mapping[str, str], held: set[str]
) -> None:
    """Refuse a partition whose outcomes name a case or subject that belongs to another
    partition (a rule whose ``subject:`` is an expression over other fields, say)."""
    case_i, subject_i = COLUMNS.index("case"), COLUMNS.index("subject")
    for row in rows:
        for field, value in (("case", row[case_i]), ("subject", row[subject_i])):
            if value is None or field not in fields:
                continue
            n = node(field, value)
            if labels.get(n, n) not in held:
                raise EventError(
                    [
                        Diagnostic(
                            "scale.key-outside-partition",
                            f"{row[1]} of rule {row[2]} (event {row[0]}) names {field} "
                            f"{value!r}, whose events are in another partition",
                            hint="replay this pack in one partition, or key the rule on the "
                            "event's own field",
                        )
                    ]
                )


def fold_partition(
    engine: Engine,
    events: list[dict[str, Any]],
    *,
    number: int,
    out: str | os.PathLike[str] | None,
    until: Any = None,
    fields: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
) -> list[Row]:
    """Fold one partition's events in event time in a fresh (or restored) ledger; write its
    outcomes and snapshot under ``out`` (if given) and return the rows."""
    ids = [str(e.get("id")) for e in events]
    digest = _digest(ids)
    name = f"part-{number:05d}"
    snap_path = Path(out, "snapshots", f"{name}.json") if out is not None else None
    rows_path = Path(out, "outcomes", f"{name}.parquet") if out is not None else None
    ledger, tally, todo = None, None, events
    if snap_path is not None and rows_path is not None and snap_path.exists():
        saved = json.loads(snap_path.read_text(encoding="utf-8"))
        if saved.get("input") == digest and saved.get("until") == _text(until):
            import pyarrow.parquet as pq

            return [tuple(r.values()) for r in pq.read_table(rows_path).to_pylist()]
        held = {str(e["id"]) for e in saved["ledger"]["events"]}
        if held <= set(ids):  # an extension: restore, apply only what is new
            ledger = engine.ledger(snapshot=saved["ledger"])
            tally = Tally({_row_back(r): n for r, n in saved["tally"]})
            todo = [e for e in events if str(e.get("id")) not in held]
    if ledger is None:
        ledger = engine.ledger()
    tally = apply_rows(ledger, sort_events(todo), until, tally)
    rows = tally.rows()
    if labels is not None:
        held_labels = {label_of(e, fields, labels) for e in events}
        check_keys(rows, fields, labels, held_labels)
    if snap_path is not None and rows_path is not None:
        import pyarrow.parquet as pq

        snap_path.parent.mkdir(parents=True, exist_ok=True)
        rows_path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table_of(rows), _tmp(rows_path))
        os.replace(_tmp(rows_path), rows_path)
        state = {
            "input": digest,
            "until": _text(until),
            "ledger": ledger.snapshot(),
            "tally": [[_row_json(r), n] for r, n in tally.counts.items()],
        }
        _tmp(snap_path).write_text(json.dumps(state, default=str), encoding="utf-8")
        os.replace(_tmp(snap_path), snap_path)  # the snapshot last: it marks the part done
    return rows


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)
