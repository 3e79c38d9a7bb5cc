"""Runtime: the result types an evaluation returns (immutable values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from svcrules.calendars import Calendar
from svcrules.errors import EventError
from svcrules.limits import MAX_DIGITS

Severity = Literal["hard", "soft"]


Status = Literal["open", "paused", "met", "breached", "excused", "cancelled"]


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        # a whole number prints as an integer, but never int() a huge exponent (quadratic)
        finite = value.is_finite() and value.adjusted() <= MAX_DIGITS
        if finite and value == value.to_integral_value():
            return int(value)
        return str(value)
    if isinstance(value, tuple | list):
        return [_iso(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _iso(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _outcome_dict(kind: str, item: Any) -> dict[str, Any]:
    """JSON-ready mapping of an outcome: its kind, then its fields in order."""
    out: dict[str, Any] = {"kind": kind}
    for key, value in item._asdict().items():
        out[key] = _iso(value)
    return out


@dataclass(frozen=True, slots=True)
class Cite:
    """The clause a rule implements: source document, article, line(s)."""

    doc: str
    article: str | None = None
    line: int | str | None = None
    note: str | None = None
    title: str | None = None

    def __str__(self) -> str:
        parts = [self.title or self.doc]
        if self.article:
            parts.append(self.article)
        if self.line is not None:
            parts.append(f"L{self.line}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "article": self.article,
            "line": self.line,
            "note": self.note,
            "title": self.title,
            "text": str(self),
        }


class Explanation:
    """How a due time was computed, as data; calendar details are worked out on first access.

    Immutable from the outside: every attribute is fixed at construction, and the derived
    calendar steps are a pure function of them, computed once.
    """

    __slots__ = ("_cal", "_steps", "amount", "before", "notes", "start", "unit")

    def __init__(
        self,
        start: dt.datetime,
        unit: str,
        amount: int | Decimal,
        calendar: Calendar | None = None,
        before: tuple[str, dt.datetime] | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.start = start
        self.unit = unit
        self.amount = amount
        self.before = before
        self.notes = notes
        self._cal = calendar
        self._steps: dict[str, Any] | None = None

    @property
    def calendar(self) -> str | None:
        """The name of the calendar the due time was counted on (None for elapsed units)."""
        return self._cal.name if self._cal is not None else None

    @property
    def steps(self) -> dict[str, Any]:
        """Calendar steps: day zero, cut-off, holidays and weekends skipped, make-up days."""
        if self._steps is None:
            self._steps = _calendar_steps(self)
        return dict(self._steps)

    @property
    def warnings(self) -> tuple[str, ...]:
        projected = self.steps.get("projected_years") or []
        if not projected:
            return ()
        years = ", ".join(str(y) for y in projected)
        return (
            f"the due date depends on {years}, whose official holiday schedule is projected, "
            f"not announced; declare it in the calendar (extra_holidays / extra_workdays) "
            f"once published",
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start.isoformat(),
            "unit": self.unit,
            "amount": _iso(self.amount),
            "calendar": self.calendar,
        }
        if self.before is not None:
            out["before"] = {"field": self.before[0], "instant": self.before[1].isoformat()}
        out.update(_iso(self.steps))
        if self.notes:
            out["notes"] = list(self.notes)
        out["warnings"] = list(self.warnings)
        return out

    def __repr__(self) -> str:
        return f"Explanation({self.to_dict()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.start, self.unit, self.amount, self.calendar))


def _calendar_steps(ex: Explanation) -> dict[str, Any]:
    cal = ex._cal
    if cal is None:
        return {}
    if ex.unit == "workdays":
        if ex.before is not None:
            day0, cut = ex.before[1].astimezone(cal.tz).date(), False
            raw = cal.workday_steps(day0, -int(ex.amount)).to_dict()
        else:
            day0, cut = cal.day_zero(ex.start)
            raw = cal.workday_steps(day0, int(ex.amount)).to_dict()
        return {
            "day_zero": raw["start"],
            "cutoff_applied": cut,
            "due_date": raw["result"],
            "holidays_skipped": raw["holidays_skipped"],
            "weekends_skipped": raw["weekends_skipped"],
            "makeup_workdays": raw["makeup_workdays"],
            "projected_years": raw["projected_years"],
        }
    if ex.unit == "business_hours":
        raw = cal.business_hours_steps(ex.start, Decimal(ex.amount)).to_dict()
        return {
            "opening_hours": cal.hours.to_dict(),
            "cutoff": cal.cutoff.isoformat() if cal.cutoff else None,
            "counted": raw["segments"],
            "projected_years": raw["projected_years"],
        }
    return {}


class Deadline(NamedTuple):
    """An SLA clock's due time. Outcomes are immutable named tuples: cheap to build on the hot
    path, with attribute access, ``to_dict()`` for JSON and ``_replace`` for copies."""

    rule: str
    clock: str
    case: str | None
    start: dt.datetime
    due: dt.datetime
    due_date: dt.date
    unit: str
    status: Status
    severity: Severity
    late_by: dt.timedelta | None
    explain: Explanation
    cite: Cite
    pack: str
    pack_version: str = ""
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _outcome_dict("deadline", self)


class Deduction(NamedTuple):
    rule: str
    subject: str
    points: int
    scorecard: str
    period: str
    score: int | None
    cite: Cite
    pack: str
    pack_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _outcome_dict("deduction", self)


class Escalation(NamedTuple):
    rule: str
    to: str
    level: int
    reason: str
    case: str | None
    subject: str | None
    cite: Cite
    pack: str
    pack_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _outcome_dict("escalation", self)


class Violation(NamedTuple):
    rule: str
    severity: Severity
    message: str
    observed: Any
    limit: Any
    case: str | None
    subject: str | None
    cite: Cite
    pack: str
    pack_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _outcome_dict("violation", self)


class ClockSignal(NamedTuple):
    """A stop, pause or resume of a clock: nothing on its own, the ledger's input."""

    rule: str
    clock: str
    case: str | None
    action: Literal["stop", "pause", "resume"]
    at: dt.datetime
    pack: str


Outcome = Deadline | Deduction | Escalation | Violation | ClockSignal


class Decision(NamedTuple):
    """What one event implies. ``bool(decision)`` is true when anything was produced."""

    event_id: str | None
    deadlines: tuple[Deadline, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    violations: tuple[Violation, ...] = ()
    retracted: tuple[Deadline | Deduction | Escalation | Violation, ...] = ()
    warnings: tuple[str, ...] = ()
    event_type: str | None = None

    def __bool__(self) -> bool:
        return bool(self.deadlines or self.deductions or self.escalations or self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "decision",
            "event_id": self.event_id,
            "event_type": self.event_type,
            "deadlines": [d.to_dict() for d in self.deadlines],
            "deductions": [d.to_dict() for d in self.deductions],
            "escalations": [d.to_dict() for d in self.escalations],
            "violations": [d.to_dict() for d in self.violations],
            "retracted": [d.to_dict() for d in self.retracted],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event of a batch that could not be evaluated; the batch goes on."""

    event_id: str | None
    index: int
    error: EventError

    def __bool__(self) -> bool:
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "rejection",
            "event_id": self.event_id,
            "index": self.index,
            "errors": [d.to_dict() for d in self.error.diagnostics],
        }
