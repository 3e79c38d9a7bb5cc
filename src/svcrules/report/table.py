"""Report: the figures of an outcome table (``from_table``: the Parquet written by ``svcrules
eval --parquet``, ``svcrules.dask.replay`` or ``apply_frame``). A table holds no explanation of
due times and no time of a deduction: the report says so rather than making them up."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from svcrules.engine import Engine
from svcrules.report.build import CLOSED, RUNNING, on_time
from svcrules.report.model import ClockRow, ReportData, ScoreLine
from svcrules.report.packinfo import PackInfo, pack_info
from svcrules.report.periods import is_month, select_months

Row = Mapping[str, object]

NO_EXPLAIN = "(the outcome table holds the due time, not how it was computed)"

NOTE_EXPLAIN = (
    "From an outcome table: how each due time was computed (Deadline.explain) is not in the "
    "table; replay the events through a ledger for the explanations."
)
NOTE_SCORES = (
    "From an outcome table: deductions carry no time, so each subject's score is shown once per "
    "scorecard period (its score after the period's last deduction), not after each deduction."
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


def _score_lines(
    rows: Sequence[Row], info: PackInfo, shown: set[str]
) -> tuple[ScoreLine, ...]:
    """The lowest score after a deduction per subject, scorecard and period: deductions only
    take points, so it is the period's last."""
    ends: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for row in rows:
        score, detail = row.get("score"), str(row.get("detail") or "")
        card, _, period = detail.partition(" ")
        if not isinstance(score, int) or (is_month(period) and period not in shown):
            continue
        key = (str(row.get("pack")), card, str(row.get("subject")))
        ends[key][period] = min(score, ends[key].get(period, score))
    out = []
    for (pack, card, subject), by_period in sorted(ends.items()):
        base = info.bases.get((pack, card))
        if base is None:
            continue
        points = tuple((p, by_period[p]) for p in sorted(by_period))
        cites = [t.cite for t in info.thresholds if (t.pack, t.scorecard) == (pack, card)]
        out.append(
            ScoreLine(pack=pack, scorecard=card, subject=subject, base=base, points=points,
                      cite="; ".join(dict.fromkeys(c for c in cites if c)))
        )
    return tuple(out)


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
    for row in rows:
        if row.get("kind") == "deadline" and (due := _due(row, info)) is not None:
            clocks.append((row, *due))
    deductions = [r for r in rows if r.get("kind") == "deduction"]
    seen = {m for r, _, m in clocks if r.get("status") in CLOSED}
    periods = (str(r.get("detail") or "").partition(" ")[2] for r in deductions)
    seen.update(p for p in periods if is_month(p))
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
    if deductions:
        notes.append(NOTE_SCORES)
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
        kpis=(),
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
        scores=_score_lines(deductions, info, shown),
        thresholds=info.thresholds,
        notes=tuple(notes),
    )
