"""Runtime: the result types an evaluation returns: immutable values, equal by content, picklable.

Every outcome names the rule, the clause (`cite`), the pack and the key it belongs to (the event
that produced it, and its case, subject, clock or scorecard). Results are frozen, slotted
dataclasses built with keywords: no tuple equality, no ordering, and ``to_dict()`` /
``to_json()`` give their JSON form. Nothing here holds a lock, a calendar or a callable, so a
result that crosses a process boundary (``pickle``) comes back equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, assert_never

from svcrules.diagnostics import JSONObject
from svcrules.errors import EventError
from svcrules.runtime.explain import Explanation
from svcrules.runtime.values import Cite, Severity, SignalAction, Status, _Result, fast_init

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


@fast_init
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
    """When it is due: aware, the pack's (or calendar's) local time with that zone's fixed UTC
    offset then (docs/results.md); the end of the local due date for day units."""
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


@fast_init
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
    at: dt.datetime | None = None
    """When it happened: its event's time (None when built by hand without one)."""
    case: str | None = None
    """The event's case, if it has one."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(pack, subject, scorecard, period)``."""
        return (self.pack, self.subject, self.scorecard, self.period)


@fast_init
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
    at: dt.datetime | None = None
    """When it happened: its event's time (None when built by hand without one)."""

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        """``(pack, case, subject, rule)``."""
        return (self.pack, self.case, self.subject, self.rule)


@fast_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Violation(_Result):
    """A check that failed: what was observed against the limit."""

    kind: ClassVar[str] = "violation"

    rule: str
    severity: Severity
    message: str
    observed: object
    """The observed value (a number, a text, a list of phrases found ...)."""
    limit: object
    """The limit it was held against, where the rule names one."""
    case: str | None = None
    subject: str | None = None
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None
    """The event checked."""
    at: dt.datetime | None = None
    """When it happened: its event's time (None when built by hand without one)."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        """``(pack, event_id, rule)``."""
        return (self.pack, self.event_id, self.rule)


@fast_init
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


@fast_init
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


@fast_init
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

    def to_dict(self) -> JSONObject:
        return {
            "kind": "rejection",
            "event_id": self.event_id,
            "index": self.index,
            "errors": [d.to_dict() for d in self.error.diagnostics],
        }
