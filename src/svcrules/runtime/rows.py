"""Runtime: an outcome as one flat row (``COLUMNS``): the outcome table's record, which the
scale-out path writes and reads and from which ``kpis`` computes KPI values (the ledger reduces
its outcomes to the same rows, so both paths share one computation)."""

from __future__ import annotations

from typing import Any

from svcrules.runtime.results import (
    ClockSignal,
    Deadline,
    Deduction,
    Escalation,
    Outcome,
    Rejection,
    Violation,
)

COLUMNS: tuple[str, ...] = (
    "event_id",
    "kind",
    "rule",
    "clock",
    "case",
    "subject",
    "due",
    "status",
    "points",
    "score",
    "cite",
    "pack",
    "late_by_s",
    "detail",
    "at",
)
"""The outcome table's columns, in order (see docs/scale.md for what each holds per kind).
New columns are added at the end only: other systems read the table by position."""

Row = tuple[Any, ...]
"""One outcome row: the values of ``COLUMNS`` in order (``due`` and ``at`` aware datetimes or
None)."""


def outcome_row(o: Outcome) -> Row:
    """An outcome as one row of ``COLUMNS``."""
    cite = str(o.cite)
    match o:
        case Deadline():
            late = o.late_by.total_seconds() if o.late_by is not None else None
            return (o.event_id, "deadline", o.rule, o.clock, o.case, None, o.due, o.status,
                    None, None, cite, o.pack, late, o.severity, o.start)  # fmt: skip
        case Deduction():
            return (o.event_id, "deduction", o.rule, None, o.case, o.subject, None, None,
                    o.points, o.score, cite, o.pack, None, f"{o.scorecard} {o.period}",
                    o.at)  # fmt: skip
        case Escalation():
            return (o.event_id, "escalation", o.rule, None, o.case, o.subject, None, None,
                    o.level, None, cite, o.pack, None, o.to, o.at)  # fmt: skip
        case Violation():
            return (o.event_id, "violation", o.rule, None, o.case, o.subject, None, o.severity,
                    None, None, cite, o.pack, None, o.message, o.at)  # fmt: skip
        case ClockSignal():
            return (o.event_id, "signal", o.rule, o.clock, o.case, None, None, o.action,
                    None, None, cite, o.pack, None, None, o.at)  # fmt: skip
    raise TypeError(f"not an outcome: {type(o).__name__}")


def rejection_row(r: Rejection) -> Row:
    """A rejected event as a row: kind ``rejection``, ``status`` its first diagnostic's code,
    ``detail`` the error text."""
    codes = [d.code for d in r.error.diagnostics]
    return (r.event_id, "rejection", None, None, None, None, None, codes[0] if codes else None,
            None, None, None, None, None, str(r.error), None)  # fmt: skip
