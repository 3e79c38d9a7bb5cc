"""Report: the figures of a ledger (``from_ledger``): on-time counts per clock and month, the
breaches, the clocks still open or breached with how each due time was computed, the score
trajectories and the pack's thresholds, the KPIs against their targets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from svcrules.diagnostics import JSONObject
from svcrules.engine import Engine
from svcrules.ledger import Ledger
from svcrules.ledger.scores import ScoreHistory
from svcrules.report.explain import explain_text
from svcrules.report.model import ClockRow, OnTime, ReportData, ScoreLine
from svcrules.report.packinfo import PackInfo, pack_info
from svcrules.report.periods import is_month, overlaps, select_months
from svcrules.runtime import DAY_UNITS, Deadline
from svcrules.runtime.kpis import KpiValue

RUNNING = ("open", "paused")
"""Clocks still running at the watermark: listed whatever month they are due in."""

CLOSED = ("met", "breached")

COUNTED = {"met": 0, "breached": 1, "open": 2, "paused": 2}
"""How a clock's status counts in its month: met, breached, or still running."""


def due_month(info: PackInfo, dl: Deadline) -> str:
    """The month a clock counts in: its local due date's (day units: the due date itself)."""
    if dl.unit in DAY_UNITS:
        return f"{dl.due_date.year:04d}-{dl.due_date.month:02d}"
    return info.month(dl.pack, dl.due)


def clock_row(info: PackInfo, dl: Deadline) -> ClockRow:
    return ClockRow(
        pack=dl.pack,
        rule=dl.rule,
        clock=dl.clock,
        case=dl.case,
        status=dl.status,
        start=dl.start.isoformat(),
        due=dl.due.isoformat(),
        month=due_month(info, dl),
        late_by_s=None if dl.late_by is None else dl.late_by.total_seconds(),
        severity=dl.severity,
        cite=str(dl.cite),
        explain=explain_text(dl),
        explain_data=dl.explain.to_dict(),
    )


def on_time(
    rows: Iterable[tuple[str, str, str, str, str]], info: PackInfo, months: Sequence[str]
) -> tuple[OnTime, ...]:
    """Per ``(pack, clock)`` and month shown: met, breached and still-open counts, from
    ``(pack, clock, rule, status, due month)`` rows."""
    counts: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)
    rules: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pack, clock, rule, status, month in rows:
        if status in COUNTED:
            cell = counts[(pack, clock)].setdefault(month, [0, 0, 0])
            cell[COUNTED[status]] += 1
            rules[(pack, clock)].add(rule)
    out = []
    shown = set(months)
    for (pack, clock), by_month in sorted(counts.items()):
        if not any(by_month[m][0] + by_month[m][1] for m in shown.intersection(by_month)):
            continue  # nothing closed in the months shown: no rate to draw
        cite = "; ".join(dict.fromkeys(info.cite(pack, r) for r in sorted(rules[(pack, clock)])))
        for month in months:
            met, breached, running = by_month.get(month, (0, 0, 0))
            out.append(
                OnTime(
                    pack=pack,
                    clock=clock,
                    month=month,
                    met=met,
                    breached=breached,
                    open=running,
                    cite=cite,
                )
            )
    return tuple(out)


def kpis_shown(values: Iterable[KpiValue], months: Sequence[str]) -> tuple[JSONObject, ...]:
    """The KPI values whose period falls in the months shown, as JSON objects."""
    return tuple(v.to_dict() for v in values if overlaps(v.period, months))


def score_lines(
    history: Iterable[ScoreHistory], info: PackInfo, months: Sequence[str]
) -> tuple[ScoreLine, ...]:
    """One line per subject and scorecard: the score after each deduction in the months shown,
    each period starting again from the base."""
    shown = set(months)
    lines: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for h in history:
        kept = [(t, s) for t, s in h.points if info.month(h.pack, t) in shown]
        if not kept:
            continue
        key = (h.pack, h.scorecard, h.subject)
        start = _period_start(info, h.pack, h.period, kept[0][0])
        lines[key].append((start.isoformat(), h.base))
        lines[key].extend((t.astimezone(info.zones[h.pack]).isoformat(), s) for t, s in kept)
    out = []
    for (pack, card, subject), points in sorted(lines.items()):
        out.append(
            ScoreLine(
                pack=pack,
                scorecard=card,
                subject=subject,
                base=info.bases[(pack, card)],
                points=tuple(points),
                cite=_card_cite(info, pack, card),
            )
        )
    return tuple(out)


def _period_start(info: PackInfo, pack: str, period: str, first: dt.datetime) -> dt.datetime:
    """A month period's first instant in the pack's zone; for other periods, the first
    deduction's own time (the line starts at the base there)."""
    zone = info.zones[pack]
    if is_month(period):
        return dt.datetime(int(period[:4]), int(period[5:]), 1, tzinfo=zone)
    return first.astimezone(zone)


def _card_cite(info: PackInfo, pack: str, card: str) -> str:
    cites = [t.cite for t in info.thresholds if (t.pack, t.scorecard) == (pack, card) and t.cite]
    return "; ".join(dict.fromkeys(cites))


def from_ledger(
    engine: Engine,
    ledger: Ledger,
    *,
    source: str,
    input: str,
    first: str | None = None,
    last: str | None = None,
    period: str | None = None,
    notes: Sequence[str] = (),
) -> ReportData:
    info = pack_info(engine)
    deadlines = ledger.deadlines()
    rows = [(dl, due_month(info, dl)) for dl in deadlines]
    seen = {m for dl, m in rows if dl.status in CLOSED}
    history = ledger.score_history()
    seen.update(info.month(h.pack, t) for h in history for t, _ in h.points)
    months = select_months(seen, first=first, last=last, period=period)
    shown = set(months)
    listed = [dl for dl, m in rows if m in shown]
    watermark = ledger.watermark
    return ReportData(
        packs=tuple(cp.name for cp in engine.compiled),
        title=info.title,
        source=source,
        input=input,
        months=months,
        watermark=None if watermark is None else watermark.isoformat(),
        kpis=kpis_shown(ledger.kpis(), months),
        on_time=on_time(
            ((dl.pack, dl.clock, dl.rule, dl.status, m) for dl, m in rows), info, months
        ),
        breaches=tuple(clock_row(info, dl) for dl in listed if dl.status == "breached"),
        clocks=tuple(
            clock_row(info, dl)
            for dl, m in rows
            if dl.status in RUNNING or (dl.status == "breached" and m in shown)
        ),
        scores=score_lines(history, info, months),
        thresholds=info.thresholds,
        notes=tuple(notes),
    )
