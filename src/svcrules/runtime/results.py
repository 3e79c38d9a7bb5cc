"""Runtime: the result types an evaluation returns: immutable values, equal by content, picklable.

Every outcome names the rule, the clause (`cite`), the pack and the key it belongs to (the event
that produced it, and its case, subject, clock or scorecard). Results are frozen, slotted
dataclasses built with keywords: no tuple equality, no ordering, and ``to_dict()`` /
``to_json()`` give their JSON form. Nothing here holds a lock, a calendar or a callable, so a
result that crosses a process boundary (``pickle``) comes back equal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal, assert_never

from svcrules.errors import EventError
from svcrules.limits import MAX_DIGITS

if TYPE_CHECKING:
    from svcrules.calendars import Calendar

__all__ = [
    "Cite",
    "ClockSignal",
    "Deadline",
    "Decision",
    "Deduction",
    "Escalation",
    "Explanation",
    "Outcome",
    "Rejection",
    "Severity",
    "SignalAction",
    "Status",
    "Violation",
]

Severity = Literal["hard", "soft"]
Status = Literal["open", "paused", "met", "breached", "excused", "cancelled"]
SignalAction = Literal["stop", "pause", "resume", "cancel", "excuse", "extend"]


def to_json_value(value: Any) -> Any:
    """Plain JSON data for a result field: instants and dates as ISO text, durations as seconds,
    exact decimals as integers when whole and as text otherwise."""
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
        return [to_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Result:
    """What every result shares: its JSON form."""

    __slots__ = ()
    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping: ``kind``, then every field in declaration order."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):  # type: ignore[arg-type]  # every subclass is a dataclass
            out[f.name] = to_json_value(getattr(self, f.name))
        return out

    def to_json(self) -> str:
        """``to_dict()`` as one line of JSON (UTF-8 text, keys in field order)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Cite:
    """The clause a rule implements: source document, article, line(s)."""

    doc: str
    """The source document's name, e.g. ``002_fac772938e6de494``."""
    article: str | None = None
    """Article or section within the document, e.g. ``20(3)``."""
    line: int | str | None = None
    """Line or lines of the document, e.g. ``117`` or ``"117≡272"``."""
    note: str | None = None
    """The pack author's note on how the clause was read."""
    title: str | None = None
    """The document's title, from the pack's ``sources``."""

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

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class Explanation:
    """How a due time was computed, as data.

    ``start``, ``unit``, ``amount``, ``calendar`` (the calendar's name), ``before`` (the field and
    instant a notice deadline counts back from) and ``notes`` are fixed at construction. The
    calendar steps (day zero, cut-off, holidays and weekends skipped, make-up working days
    counted, projected years) are worked out on first access, since most callers never read
    them, and are plain data (dates, instants, names) from then on. Pickling or copying an
    explanation works them out first and leaves the calendar behind: the copy is equal.
    """

    # Three slots, not one per attribute: an explanation is built for every deadline on the hot
    # path and read rarely, so its construction is kept to three stores.
    __slots__ = ("_args", "_cal", "_steps")

    _args: tuple[dt.datetime, str, int | Decimal, tuple[str, dt.datetime] | None, tuple[str, ...]]
    _cal: Calendar | str | None
    """The calendar (or, once pickled, its name)."""
    _steps: dict[str, Any] | None

    def __init__(
        self,
        start: dt.datetime,
        unit: str,
        amount: int | Decimal,
        calendar: Calendar | str | None = None,
        before: tuple[str, dt.datetime] | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        _set(self, "_args", (start, unit, amount, before, notes))
        _set(self, "_cal", calendar)
        _set(self, "_steps", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Explanation is immutable: cannot set {name!r}")

    def with_notes(self, *notes: str) -> Explanation:
        """A copy with ``notes`` added (the ledger's pauses, extensions and excuses)."""
        ex = Explanation(
            self.start, self.unit, self.amount, self._cal, self.before, self.notes + notes
        )
        _set(ex, "_steps", self._steps)
        return ex

    @property
    def start(self) -> dt.datetime:
        """When the clock started."""
        return self._args[0]

    @property
    def unit(self) -> str:
        return self._args[1]

    @property
    def amount(self) -> int | Decimal:
        """How many units (the rule's ``within``)."""
        return self._args[2]

    @property
    def before(self) -> tuple[str, dt.datetime] | None:
        """For a notice deadline: the event field and the instant it counts back from."""
        return self._args[3]

    @property
    def notes(self) -> tuple[str, ...]:
        return self._args[4]

    @property
    def calendar(self) -> str | None:
        """The name of the calendar the due time was counted on (None for elapsed units)."""
        cal = self._cal
        return cal if cal is None or isinstance(cal, str) else cal.name

    @property
    def steps(self) -> dict[str, Any]:
        """Calendar steps: day zero, cut-off, holidays and weekends skipped, make-up days."""
        if self._steps is None:
            _set(self, "_steps", _calendar_steps(self))
        assert self._steps is not None
        return dict(self._steps)

    @property
    def warnings(self) -> tuple[str, ...]:
        projected = self.steps.get("projected_years") or ()
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
            "amount": to_json_value(self.amount),
            "calendar": self.calendar,
        }
        if self.before is not None:
            out["before"] = {"field": self.before[0], "instant": self.before[1].isoformat()}
        steps = self.steps
        if "holidays_skipped" in steps:
            steps["holidays_skipped"] = [
                {"date": d.isoformat(), "name": name} for d, name in steps["holidays_skipped"]
            ]
        out.update(to_json_value(steps))
        if self.notes:
            out["notes"] = list(self.notes)
        out["warnings"] = list(self.warnings)
        return out

    def _key(self) -> tuple[Any, ...]:
        return (self._args, self.calendar, tuple(sorted(self.steps.items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self._args[:3], self.calendar))

    def __repr__(self) -> str:
        return f"Explanation({self.to_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_explanation, (self._args, self.calendar, self.steps))


_set = object.__setattr__


def _restore_explanation(
    args: tuple[dt.datetime, str, int | Decimal, tuple[str, dt.datetime] | None, tuple[str, ...]],
    calendar: str | None,
    steps: dict[str, Any],
) -> Explanation:
    start, unit, amount, before, notes = args
    ex = Explanation(start, unit, amount, calendar, before, notes)
    _set(ex, "_steps", steps)
    return ex


def _calendar_steps(ex: Explanation) -> dict[str, Any]:
    cal = ex._cal
    if cal is None or isinstance(cal, str):
        return {}
    if ex.unit == "workdays":
        if ex.before is not None:
            day0, cut = ex.before[1].astimezone(cal.tz).date(), False
            raw = cal.workday_steps(day0, -int(ex.amount))
        else:
            day0, cut = cal.day_zero(ex.start)
            raw = cal.workday_steps(day0, int(ex.amount))
        return {
            "day_zero": raw.start,
            "cutoff_applied": cut,
            "due_date": raw.result,
            "holidays_skipped": raw.holidays_skipped,
            "weekends_skipped": raw.weekends_skipped,
            "makeup_workdays": raw.makeup_workdays,
            "projected_years": raw.projected_years,
        }
    if ex.unit == "business_hours":
        bh = cal.business_hours_steps(ex.start, Decimal(ex.amount))
        return {
            "opening_hours": cal.hours.to_dict(),
            "cutoff": cal.cutoff.isoformat() if cal.cutoff else None,
            "counted": bh.segments,
            "projected_years": bh.projected_years,
        }
    return {}


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=True)
class Deadline(_Result):
    """An SLA clock: when it is due, how that was computed, and (from the ledger) its status."""

    kind: ClassVar[str] = "deadline"

    rule: str
    """Id of the rule that started the clock."""
    clock: str
    """The clock's name; with ``pack`` and ``case`` it is the clock's key."""
    case: str | None
    """The case (ticket, application, request) the clock runs for."""
    start: dt.datetime
    """When the clock started (aware)."""
    due: dt.datetime
    """When it is due (aware, in the pack's or calendar's zone); end of day for day units."""
    due_date: dt.date
    """Local due date (day-granular units are met by anything on this date)."""
    unit: str
    """``minutes``, ``hours``, ``days``, ``workdays``, ``months`` or ``business_hours``."""
    status: Status = "open"
    """``open`` from the stateless engine; the ledger moves it on."""
    severity: Severity = "hard"
    """``hard`` (a commitment) or ``soft`` (a target)."""
    late_by: dt.timedelta | None = None
    """How late a breached clock was stopped; None otherwise (and while a breached clock is still
    open: ``Ledger.deadlines()`` then shows how late it is at the ledger's watermark)."""
    explain: Explanation
    """How ``due`` was computed."""
    cite: Cite
    """The clause that demands it."""
    pack: str
    """The pack's name."""
    pack_version: str = ""
    """The pack's version."""
    event_id: str | None = None
    """The event that started the clock."""
    warnings: tuple[str, ...] = ()
    """E.g. the due date depends on a projected (not yet announced) holiday schedule."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        """``(pack, case, clock)``: the ledger's key for this clock."""
        return (self.pack, self.case, self.clock)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deduction(_Result):
    """Points taken from a subject's scorecard for one period."""

    kind: ClassVar[str] = "deduction"

    rule: str
    """Id of the rule that deducts."""
    subject: str
    """Whose score it is (a staff member, a team)."""
    points: int
    """Points deducted (positive)."""
    scorecard: str
    """The scorecard's name."""
    period: str
    """The scorecard period it counts in, e.g. ``2024-03``, ``2024-W09``, ``2024-Q1``."""
    score: int | None = None
    """The score after this deduction (from the ledger; None from the stateless engine)."""
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None
    """The event that caused the deduction."""
    case: str | None = None
    """The event's case, if it has one."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(pack, subject, scorecard, period)``."""
        return (self.pack, self.subject, self.scorecard, self.period)


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation(_Result):
    """A matter raised to a role, at a level of an escalation ladder."""

    kind: ClassVar[str] = "escalation"

    rule: str
    to: str
    """The role it goes to, e.g. ``team_lead``."""
    level: int
    """Ladder level (1 is the first)."""
    reason: str
    """Why, in the pack's words."""
    case: str | None = None
    subject: str | None = None
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None
    """The event (possibly a derived one) that raised it."""

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        """``(pack, case, subject, rule)``."""
        return (self.pack, self.case, self.subject, self.rule)


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation(_Result):
    """A check that failed: what was observed against the limit."""

    kind: ClassVar[str] = "violation"

    rule: str
    severity: Severity
    message: str
    observed: Any
    """The observed value (a number, a text, a list of phrases found ...)."""
    limit: Any
    """The limit it was held against, where the rule names one."""
    case: str | None = None
    subject: str | None = None
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None
    """The event checked."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        """``(pack, event_id, rule)``."""
        return (self.pack, self.event_id, self.rule)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockSignal(_Result):
    """A stop, pause, resume, cancel, excuse or extension of a clock: what the event means for
    the ledger."""

    kind: ClassVar[str] = "signal"

    rule: str
    clock: str
    case: str | None
    action: SignalAction
    at: dt.datetime
    """When it happened (the event's time)."""
    until: dt.datetime | None = None
    """For ``extend``: the new due time asked for."""
    cite: Cite | None = None
    pack: str
    pack_version: str = ""
    event_id: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str]:
        """``(pack, case, clock)``: the clock it acts on."""
        return (self.pack, self.case, self.clock)


Outcome = Deadline | Deduction | Escalation | Violation | ClockSignal


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(_Result):
    """What one event implies (or, from the ledger, what it changed).

    ``bool(decision)`` is true when anything was produced or retracted. Equality is by value.
    """

    kind: ClassVar[str] = "decision"

    event_id: str | None
    """The event's id (None for a ledger ``advance``)."""
    event_type: str | None = None
    deadlines: tuple[Deadline, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    violations: tuple[Violation, ...] = ()
    signals: tuple[ClockSignal, ...] = ()
    """Clock stops, pauses, resumes and cancels this event caused."""
    retracted: tuple[Outcome, ...] = ()
    """Outcomes reported earlier that a late event withdrew (ledger only)."""
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.deadlines
            or self.deductions
            or self.escalations
            or self.violations
            or self.signals
            or self.retracted
        )

    @classmethod
    def collect(
        cls,
        event_id: str | None,
        event_type: str | None,
        outcomes: Iterable[Outcome],
        *,
        retracted: Iterable[Outcome] = (),
        warnings: Iterable[str] = (),
    ) -> Decision:
        """A decision from outcomes of every kind, sorted into their tuples in order; each
        deadline's warnings are added to ``warnings`` (each warning once)."""
        deadlines: list[Deadline] = []
        deductions: list[Deduction] = []
        escalations: list[Escalation] = []
        violations: list[Violation] = []
        signals: list[ClockSignal] = []
        notes = list(warnings)
        for item in outcomes:
            match item:
                case Deadline():
                    deadlines.append(item)
                    notes.extend(item.warnings)
                case Deduction():
                    deductions.append(item)
                case Escalation():
                    escalations.append(item)
                case Violation():
                    violations.append(item)
                case ClockSignal():
                    signals.append(item)
                case _:
                    assert_never(item)
        return cls(
            event_id=event_id,
            event_type=event_type,
            deadlines=tuple(deadlines),
            deductions=tuple(deductions),
            escalations=tuple(escalations),
            violations=tuple(violations),
            signals=tuple(signals),
            retracted=tuple(retracted),
            warnings=tuple(dict.fromkeys(notes)),
        )

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Every outcome, in the order deadlines, deductions, escalations, violations, signals."""
        return (
            *self.deadlines,
            *self.deductions,
            *self.escalations,
            *self.violations,
            *self.signals,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection(_Result):
    """An event of a batch that could not be evaluated; the batch goes on."""

    kind: ClassVar[str] = "rejection"

    event_id: str | None
    """The event's id, if it had a usable one."""
    index: int
    """Position in the batch (0-based)."""
    error: EventError
    """Why, with located diagnostics."""

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejection):
            return NotImplemented
        return (self.event_id, self.index, self.error.diagnostics) == (
            other.event_id,
            other.index,
            other.error.diagnostics,
        )

    def __hash__(self) -> int:
        return hash((self.event_id, self.index, self.error.diagnostics))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "rejection",
            "event_id": self.event_id,
            "index": self.index,
            "errors": [d.to_dict() for d in self.error.diagnostics],
        }
