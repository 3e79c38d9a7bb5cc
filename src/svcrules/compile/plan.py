"""Compiler: a checked pack's specs → the ``LedgerPlan`` the ledger reads (clock rules,
scorecards, counters, schedules, the derived types rules listen to, the KPIs), as plain
runtime data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from svcrules.calendars import Calendar
from svcrules.effects import DeadlineSpec, ScheduleSpec
from svcrules.effects.schedule import parse_grace
from svcrules.pack.citespec import CiteSpec
from svcrules.pack.kpispec import KpiSpec
from svcrules.pack.schema import PackSpec, RuleSpec
from svcrules.runtime.derived import DERIVED_EVENTS
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.kpis import KpiPlan
from svcrules.runtime.plans import (
    ClockPlan,
    CounterPlan,
    LedgerPlan,
    SchedulePlan,
    ScorecardPlan,
    ThresholdPlan,
)
from svcrules.runtime.values import Cite


def ledger_plan(
    spec: PackSpec,
    rules: Sequence[RuleSpec],
    params: Mapping[str, Any],
    tz: ZoneInfo,
    calendar_for: Callable[[str | None, str], Calendar | None],
    meta_for: Callable[[RuleSpec], RuleMeta],
    cite_for: Callable[[CiteSpec], Cite],
) -> LedgerPlan:
    """The plan for the active ``rules`` of ``spec`` with final ``params``."""
    clocks: dict[str, ClockPlan] = {}
    schedules: dict[str, SchedulePlan] = {}
    listened: set[str] = set()
    for rule in rules:
        listened.update(t for t in rule.event_types if t in DERIVED_EVENTS)
        effect = rule.effect
        if isinstance(effect, DeadlineSpec) and effect.action == "start":
            assert effect.unit is not None
            cal = calendar_for(effect.calendar, effect.unit)
            clocks[rule.id] = ClockPlan(
                rule=rule.id,
                clock=effect.clock,
                unit=effect.unit,
                tz=cal.tz if cal is not None and effect.unit == "workdays" else tz,
                calendar=cal,
                warn_at=tuple(sorted(effect.warn_at)),
                starts_all=rule.event_types if effect.starts == "all" else (),
            )
        elif isinstance(effect, ScheduleSpec):
            schedules[effect.name] = SchedulePlan(
                name=effect.name,
                meta=meta_for(rule),
                rrule=effect.rrule,
                start=effect.local_start().replace(tzinfo=tz),
                subjects=_subjects(effect.subjects, params),
                met_by=rule.event_types,
                from_own_events=effect.subjects == "reporting",
                grace=_grace(effect.grace, params),
            )
    scorecards = {
        name: ScorecardPlan(
            name=name,
            base=card.base,
            period=card.period_key,
            floor=card.floor,
            cap=card.cap,
            thresholds=tuple(
                ThresholdPlan(
                    th.name,
                    th.at_or_below if th.at_or_below is not None else th.below or 0,
                    th.at_or_below is not None,
                )
                for th in card.thresholds
            ),
        )
        for name, card in spec.scorecards.items()
    }
    counters = {
        name: CounterPlan(
            name=name,
            limit=c.limit,
            key=c.key,
            period=c.period,
            window=(
                dt.timedelta(days=c.window.days, hours=c.window.hours, minutes=c.window.minutes)
                if c.window is not None
                else None
            ),
            reset_on=c.reset_on,
            consecutive=c.consecutive,
        )
        for name, c in spec.counters.items()
    }
    kpis = tuple(kpi_plan(spec, k, tz, cite_for) for k in spec.kpis)
    return LedgerPlan(tz, clocks, scorecards, counters, schedules, frozenset(listened), kpis)


def kpi_plan(
    spec: PackSpec, kpi: KpiSpec, tz: ZoneInfo, cite_for: Callable[[CiteSpec], Cite]
) -> KpiPlan:
    """A checked ``KpiSpec`` as the plain ``KpiPlan`` that ``runtime.kpis`` computes from."""
    goal = kpi.goal
    card = spec.scorecards.get(kpi.scorecard) if kpi.scorecard else None
    return KpiPlan(
        pack=spec.pack,
        id=kpi.id,
        title=kpi.title,
        kind=kpi.kind,
        period=kpi.period,
        tz=tz,
        cite=cite_for(kpi.cite),
        measures=kpi.measures,
        catalog=kpi.catalog,
        op=goal[0] if goal else None,
        target=goal[1] if goal else None,
        clocks=kpi.clocks,
        rules=kpi.rules,
        outcome=kpi.outcome,
        scorecard=kpi.scorecard,
        scorecard_period=card.period if card else None,
        base=card.base if card is not None else 0,
        subjects=kpi.subjects,
    )


def _grace(grace: int | str | None, params: Mapping[str, Any]) -> dt.timedelta | None:
    if isinstance(grace, str) and grace.startswith("params."):
        grace = params.get(grace.removeprefix("params."))
    return None if grace is None else parse_grace(grace)


def _subjects(subjects: str | tuple[str, ...], params: Mapping[str, Any]) -> tuple[str, ...] | None:
    if isinstance(subjects, tuple):
        return subjects
    if subjects in ("known", "reporting"):
        return None
    value = params.get(subjects.removeprefix("params."))
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return () if value is None else (str(value),)
