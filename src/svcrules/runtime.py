"""Runtime: result types and what compiled packs call at event time (stdlib and calendars only).

Nothing here knows about pydantic, YAML or the pack schema: the compiler binds the callables and
constants of this module into the evaluator it generates, so evaluation stays cheap and picklable.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from svcrules.calendars import Calendar
from svcrules.errors import EventError

Severity = Literal["hard", "soft"]
Status = Literal["open", "paused", "met", "breached", "excused", "cancelled"]
DAY_UNITS = frozenset({"days", "workdays", "months"})
END_OF_DAY = dt.time(23, 59, 59)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
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


# --- due-time arithmetic ------------------------------------------------------------------


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """A day-granular deadline is due at the end of its local date (shown as 23:59:59)."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=tz)


def _whole(amount: int | Decimal, unit: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"a deadline of {unit} needs a number, got {type(amount).__name__}")
    if amount != int(amount):
        raise ValueError(f"a deadline of {unit} needs a whole number, got {amount}")
    return int(amount)


@functools.lru_cache(maxsize=1024, typed=True)
def _elapsed(unit: str, amount: int | Decimal) -> dt.timedelta:
    if type(amount) is int:  # the common case, without Decimal arithmetic
        return dt.timedelta(minutes=amount) if unit == "minutes" else dt.timedelta(hours=amount)
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"a deadline of {unit} needs a number, got {type(amount).__name__}")
    seconds = Decimal(amount) * (60 if unit == "minutes" else 3600)
    return dt.timedelta(seconds=int(seconds), microseconds=int((seconds % 1) * 1_000_000))


def due_after(
    unit: str, amount: int | Decimal, start: dt.datetime, tz: ZoneInfo, cal: Calendar | None
) -> tuple[dt.datetime, dt.date]:
    """Due instant and due local date of a clock of ``amount`` ``unit`` started at ``start``."""
    if unit in ("minutes", "hours"):
        if type(start.tzinfo) is dt.timezone:  # a fixed offset: aware + timedelta is exact
            due = (start + _elapsed(unit, amount)).astimezone(tz)
        else:  # a zone with DST: count elapsed time in UTC, not wall-clock time
            due = (start.astimezone(dt.UTC) + _elapsed(unit, amount)).astimezone(tz)
        return due, due.date()
    if unit == "days":
        day = start.astimezone(tz).date() + dt.timedelta(days=_whole(amount, unit))
    elif unit == "months":
        day = start.astimezone(tz).date() + relativedelta(months=_whole(amount, unit))
    elif unit == "workdays":
        assert cal is not None
        day0, _ = cal.day_zero(start)
        day = cal.add_workdays(day0, _whole(amount, unit))
        tz = cal.tz
    elif unit == "business_hours":
        assert cal is not None
        due = cal.add_business_hours(start, Decimal(amount))
        return due, due.astimezone(cal.tz).date()
    else:  # pragma: no cover - the schema admits no other unit
        raise ValueError(f"unknown unit {unit!r}")
    return end_of_day(day, tz), day


def due_before(
    unit: str, amount: int | Decimal, ref: dt.datetime, tz: ZoneInfo, cal: Calendar | None
) -> tuple[dt.datetime, dt.date]:
    """Notice deadline counted back from ``ref``: by date for day units, exact for hours."""
    if unit in ("minutes", "hours"):
        due = (ref.astimezone(dt.UTC) - _elapsed(unit, amount)).astimezone(tz)
        return due, due.date()
    if unit == "business_hours":
        raise ValueError("a notice deadline cannot be counted back in business hours")
    if unit == "days":
        day = ref.astimezone(tz).date() - dt.timedelta(days=_whole(amount, unit))
    elif unit == "months":
        day = ref.astimezone(tz).date() - relativedelta(months=_whole(amount, unit))
    else:
        assert cal is not None
        tz = cal.tz
        day = cal.add_workdays(ref.astimezone(tz).date(), -_whole(amount, unit))
    return end_of_day(day, tz), day


def require_instant(value: Any, field_name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{field_name} must be a date-time, got {type(value).__name__}")
    return value


def period_label(at: dt.datetime, period: str, tz: ZoneInfo) -> str:
    """``2024-03`` (month), ``2024-W09`` (ISO week), ``2024-Q1`` (quarter), ``2024`` (year)."""
    local = at.astimezone(tz)
    if period == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period == "quarter":
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year:04d}"


# --- effects: bound once per rule by the compiler, called by the generated evaluator ---------


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What every outcome of a rule names: the rule, its cite, its pack and severity."""

    rule: str
    cite: Cite
    pack: str
    pack_version: str
    severity: Severity
    title: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineEffect:
    meta: RuleMeta
    clock: str
    unit: str
    tz: ZoneInfo
    calendar: Calendar | None
    before: str | None
    notes: tuple[str, ...] = ()

    def __call__(self, e: Mapping[str, Any], amount: Any, start: Any, ref: Any = None) -> Deadline:
        if type(start) is not dt.datetime:
            start = require_instant(start, "the clock's start")
        before = None
        if self.before is not None:
            ref = require_instant(ref, self.before)
            due, due_date = due_before(self.unit, amount, ref, self.tz, self.calendar)
            before = (self.before, ref)
        else:
            due, due_date = due_after(self.unit, amount, start, self.tz, self.calendar)
        warnings: tuple[str, ...] = ()
        cal = self.calendar
        confirmed = cal.confirmed_through if cal is not None else None
        # Day-granular dates bound the years touched; only past the confirmed year is it costly.
        if (
            confirmed is not None
            and self.unit in ("workdays", "business_hours")
            and (due_date.year > confirmed or start.year > confirmed)
        ):
            assert cal is not None
            first = min(start, due).astimezone(cal.tz).year
            last = max(start, due).astimezone(cal.tz).year
            projected = [y for y in range(first, last + 1) if cal.is_projected(y)]
            if projected:
                years = ", ".join(map(str, projected))
                warnings = (
                    f"{self.meta.rule}: due date counted on {cal.name}'s projected schedule "
                    f"for {years} (official holidays and make-up days not yet announced)",
                )
        meta = self.meta
        return Deadline(
            meta.rule,
            self.clock,
            e.get("case"),
            start,
            due,
            due_date,
            self.unit,
            "open",
            meta.severity,
            None,
            Explanation(start, self.unit, amount, cal, before, self.notes),
            meta.cite,
            meta.pack,
            meta.pack_version,
            warnings,
        )


@dataclass(frozen=True, slots=True)
class SignalEffect:
    meta: RuleMeta
    clock: str
    action: Literal["stop", "pause", "resume"]

    def __call__(self, e: Mapping[str, Any]) -> ClockSignal:
        return ClockSignal(
            self.meta.rule, self.clock, e.get("case"), self.action, e["at"], self.meta.pack
        )


@dataclass(frozen=True, slots=True)
class DeductEffect:
    meta: RuleMeta
    scorecard: str
    period: str
    tz: ZoneInfo

    def __call__(self, e: Mapping[str, Any], points: Any, subject: Any) -> Deduction:
        if isinstance(points, bool) or not isinstance(points, int | Decimal):
            raise TypeError(f"points must be a number, got {type(points).__name__}")
        if points <= 0 or points != int(points):
            raise ValueError(f"points must be a positive whole number, got {points}")
        if subject is None:
            raise ValueError("a deduction needs a subject")
        meta = self.meta
        return Deduction(
            meta.rule,
            str(subject),
            int(points),
            self.scorecard,
            period_label(e["at"], self.period, self.tz),
            None,
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


@dataclass(frozen=True, slots=True)
class EscalateEffect:
    meta: RuleMeta
    to: str
    level: int
    reason: str

    def __call__(self, e: Mapping[str, Any]) -> Escalation:
        meta = self.meta
        return Escalation(
            meta.rule,
            self.to,
            self.level,
            self.reason,
            e.get("case"),
            e.get("subject"),
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


@dataclass(frozen=True, slots=True)
class CheckEffect:
    meta: RuleMeta
    message: str

    def __call__(self, e: Mapping[str, Any], observed: Any, limit: Any) -> Violation:
        meta = self.meta
        return Violation(
            meta.rule,
            meta.severity,
            self.message,
            observed,
            limit,
            e.get("case"),
            e.get("subject"),
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


EVAL_ERRORS = (TypeError, ArithmeticError, LookupError, ValueError, AttributeError)
"""What a rule's expressions or effect may raise on a bad event; turned into an ``EventError``."""


def rule_failed(
    e: Mapping[str, Any], rule: str, exc: Exception, fields: tuple[str, ...] = ()
) -> EventError:
    """The error for a rule that raised on an event: a missing optional field the rule reads
    (the usual cause) is named as such, anything else is an evaluation error."""
    from dataclasses import replace

    from svcrules.diagnostics import Diagnostic
    from svcrules.errors import SvcrulesError

    if isinstance(exc, SvcrulesError):  # a calendar's own error keeps its code
        return EventError(replace(d, rule=rule) for d in exc.diagnostics)
    missing = [f for f in fields if e.get(f) is None]
    if missing and isinstance(exc, TypeError | ValueError):
        return EventError(
            Diagnostic(
                "event.missing-field",
                f"`{e.get('type')}` event has no `{name}`, which rule {rule!r} needs here",
                f"$.{name}",
                rule=rule,
            )
            for name in missing
        )
    return EventError(
        [
            Diagnostic(
                "event.eval-error",
                f"rule {rule!r} could not be evaluated on this event: {type(exc).__name__}: {exc}",
                path="$",
                rule=rule,
                hint="check the event's field values against the pack's vocabulary",
            )
        ]
    )
