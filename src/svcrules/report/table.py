"""Report: the figures of an outcome table (``from_table``: the Parquet written by ``svcrules
eval --parquet``, ``svcrules.dask.replay`` or ``apply_frame``). A table holds no explanation of
due times: the report says so rather than making one up. KPIs come from the same computation
as ``Ledger.kpis`` (``runtime.kpis.kpi_values`` over the rows)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from svcrules.diagnostics import JSONObject
from svcrules.engine import Engine
from svcrules.ledger.scores import ScoreHistory
from svcrules.report.build import CLOSED, RUNNING, kpis_shown, on_time, score_lines
from svcrules.report.model import ClockRow, ReportData
from svcrules.report.packinfo import PackInfo, pack_info
from svcrules.report.periods import select_months
from svcrules.runtime.kpis import kpi_values
from svcrules.runtime.rows import COLUMNS

Row = Mapping[str, object]

NO_EXPLAIN = "(the outcome table holds the due time, not how it was computed)"

NOTE_EXPLAIN = (
    "From an outcome table: how each due time was computed (Deadline.explain) is not in the "
    "table; replay the events through a ledger for the explanations."
)
NOTE_NO_AT = (
    "The table has no `at` column (written before svcrules added it): deductions, escalations "
    "and violations carry no time, so score trajectories and the KPIs that count by event time "
    "are not shown; re-run the evaluation to write a current table."
)
NOTE_REPEATED = (
    "{} clock(s) have more than one row in the table (an open row beside a closed one): each is "
    "counted once, by its closed row."
)
NOTE_STATELESS = (
    "The table has no met or breached clocks (a stateless `svcrules eval --parquet` table: every "
    "clock is as it started): on-time rates and breaches need a ledger's table "
    "(svcrules.dask replay, svcrules.scale.apply_frame)."
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _due(row: Row, info: PackInfo) -> tuple[dt.datetime, str] | None:
    due = row.get("due")
    pack = str(row.get("pack"))
    if not isinstance(due, dt.datetime) or pack not in info.zones:
        return None
    local = due.astimezone(info.zones[pack])
    return local, info.month(pack, local)


def _clock_row(row: Row, due: dt.datetime, month: str) -> ClockRow:
    late = row.get("late_by_s")
    return ClockRow(
        pack=str(row["pack"]),
        rule=str(row.get("rule")),
        clock=str(row.get("clock")),
        case=_text(row.get("case")),
        status=str(row.get("status")),
        start=None,
        due=due.isoformat(),
        month=month,
        late_by_s=float(late) if isinstance(late, int | float) else None,
        severity=str(row.get("detail") or ""),
        cite=str(row.get("cite") or ""),
        explain=NO_EXPLAIN,
        explain_data=None,
    )


def _history(rows: Sequence[Row], info: PackInfo) -> tuple[ScoreHistory, ...]:
    """The deduction rows as each period's scores in event-time order (``at``), as the ledger's
    ``score_history`` gives them."""
    periods: dict[tuple[str, str, str, str], list[tuple[dt.datetime, int]]] = defaultdict(list)
    for row in rows:
        score, at = row.get("score"), row.get("at")
        card, _, period = str(row.get("detail") or "").partition(" ")
        if isinstance(score, int) and isinstance(at, dt.datetime):
            key = (str(row.get("pack")), card, str(row.get("subject")), period)
            periods[key].append((at, score))
    return tuple(
        ScoreHistory(
            pack=pack,
            scorecard=card,
            subject=subject,
            period=period,
            base=info.bases[(pack, card)],
            points=tuple(sorted(points)),
        )
        for (pack, card, subject, period), points in sorted(periods.items())
        if (pack, card) in info.bases
    )


def _one_row_per_clock(rows: Sequence[Row]) -> tuple[list[Row], int]:
    """The table's deadline rows, one per clock ``(pack, case, clock)``: where a table holds a
    clock twice (an open row left beside its closed one, as after an extension), the closed row,
    else the last. Also how many clocks had more than one row."""
    by_key: dict[tuple[object, object, object], Row] = {}
    repeated = set()
    for row in rows:
        if row.get("kind") != "deadline":
            continue
        key = (row.get("pack"), row.get("case"), row.get("clock"))
        kept = by_key.get(key)
        if kept is not None:
            repeated.add(key)
            if kept.get("status") not in RUNNING and row.get("status") in RUNNING:
                continue
        by_key[key] = row
    return list(by_key.values()), len(repeated)


def _kpis(engine: Engine, rows: Sequence[Row], months: Sequence[str]) -> tuple[JSONObject, ...]:
    plans = [k for cp in engine.compiled if cp.ledger is not None for k in cp.ledger.kpis]
    values = kpi_values(plans, (tuple(r.get(c) for c in COLUMNS) for r in rows))
    return kpis_shown(values, months)


def from_table(
    engine: Engine,
    rows: Sequence[Row],
    *,
    input: str,
    first: str | None = None,
    last: str | None = None,
    period: str | None = None,
) -> ReportData:
    """The report of outcome-table rows (dicts keyed by ``svcrules.scale.COLUMNS``)."""
    info = pack_info(engine)
    clocks: list[tuple[Row, dt.datetime, str]] = []
    deadlines, repeated = _one_row_per_clock(rows)
    for row in deadlines:
        if (due := _due(row, info)) is not None:
            clocks.append((row, *due))
    history = _history([r for r in rows if r.get("kind") == "deduction"], info)
    seen = {m for r, _, m in clocks if r.get("status") in CLOSED}
    seen.update(info.month(h.pack, t) for h in history for t, _ in h.points)
    months = select_months(seen, first=first, last=last, period=period)
    shown = set(months)
    listed = sorted(
        (
            _clock_row(r, due, m)
            for r, due, m in clocks
            if r.get("status") in RUNNING or (r.get("status") == "breached" and m in shown)
        ),
        key=lambda c: (c.due, c.case or "", c.clock),
    )
    notes = [NOTE_EXPLAIN]
    if repeated:
        notes.append(NOTE_REPEATED.format(repeated))
    has_at = any(r.get("at") is not None for r in rows)
    if rows and not has_at:
        notes.append(NOTE_NO_AT)
    if clocks and all(r.get("status") in ("open", None) for r, _, _ in clocks):
        notes.append(NOTE_STATELESS)
        listed = []  # every clock as it started: none is known to be still open
    return ReportData(
        packs=tuple(cp.name for cp in engine.compiled),
        title=info.title,
        source="table",
        input=input,
        months=months,
        watermark=None,
        kpis=_kpis(engine, rows, months) if has_at else (),
        on_time=on_time(
            (
                (str(r["pack"]), str(r.get("clock")), str(r.get("rule")), str(r.get("status")), m)
                for r, _, m in clocks
            ),
            info,
            months,
        ),
        breaches=tuple(c for c in listed if c.status == "breached"),
        clocks=tuple(listed),
        scores=score_lines(history, info, months),
        thresholds=info.thresholds,
        notes=tuple(notes),
    )
