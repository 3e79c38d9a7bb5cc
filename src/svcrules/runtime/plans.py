"""Runtime: the plain data a compiled pack hands the ledger (``LedgerPlan``): per clock rule its
unit, calendar, warnings and ``starts: all`` types; the scorecards, counters and schedules.

The compiler builds it from the pack's specs; the ledger reads it and never sees pydantic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.kpis import KpiPlan

if TYPE_CHECKING:
    from svcrules.calendars import Calendar


@dataclass(frozen=True, slots=True)
class ClockPlan:
    """What the ledger needs about a rule that starts a clock."""

    rule: str
    clock: str
    unit: str
    tz: ZoneInfo
    calendar: Calendar | None
    warn_at: tuple[Decimal, ...] = ()
    starts_all: tuple[str, ...] = ()
    """With ``starts: all``: the event types that must all be seen; else empty."""


@dataclass(frozen=True, slots=True)
class ThresholdPlan:
    name: str
    level: int
    inclusive: bool
    """``at_or_below`` (True) or ``below`` (False)."""

    def holds(self, score: int) -> bool:
        return score <= self.level if self.inclusive else score < self.level


@dataclass(frozen=True, slots=True)
class ScorecardPlan:
    name: str
    base: int
    period: str
    """A period key for ``period_label``: ``month``, ``week``, ... or ``cycle:3:2024-01-01``."""
    floor: int | None
    cap: int | None
    thresholds: tuple[ThresholdPlan, ...]


@dataclass(frozen=True, slots=True)
class CounterPlan:
    name: str
    limit: int
    key: str
    """The event field that keys the counter (``subject`` unless the pack says otherwise)."""
    period: str | None = None
    window: dt.timedelta | None = None
    reset_on: tuple[str, ...] = ()
    consecutive: bool = False


@dataclass(frozen=True, slots=True)
class SchedulePlan:
    name: str
    meta: RuleMeta
    rrule: str
    start: dt.datetime
    """The rule's ``DTSTART`` (aware, in the pack's zone)."""
    subjects: tuple[str, ...] | None
    """Listed subjects, or None: every subject once it is known to the ledger."""
    met_by: tuple[str, ...]
    from_own_events: bool = False
    """``subjects: reporting``: a known subject is obligated from its first event of the rule,
    not from its first event of any type."""
    grace: dt.timedelta | None = None
    """How long after an unmet occurrence an event still meets it, late; None: not at all."""


@dataclass(frozen=True, slots=True)
class LedgerPlan:
    """Everything about one compiled pack that the ledger needs beyond its handlers."""

    tz: ZoneInfo
    clocks: Mapping[str, ClockPlan] = field(default_factory=dict)
    """By the id of the rule that starts the clock."""
    scorecards: Mapping[str, ScorecardPlan] = field(default_factory=dict)
    counters: Mapping[str, CounterPlan] = field(default_factory=dict)
    schedules: Mapping[str, SchedulePlan] = field(default_factory=dict)
    listened: frozenset[str] = frozenset()
    """Derived event types some active rule is on (the others are not dispatched)."""
    kpis: tuple[KpiPlan, ...] = ()
    """The pack's KPIs, in pack order."""
