"""Packs: semantic checks of what the ledger folds: scorecards, counters, schedules and the graph
of derived events (which must have no cycle)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.effects import CountSpec, ScheduleSpec
from svcrules.pack.schema import (
    CounterSpec,
    PackSpec,
    rule_fields,
)
from svcrules.runtime.derived import DERIVED_EVENTS


def check_scorecards(spec: PackSpec) -> Iterator[Diagnostic]:
    for name, card in spec.scorecards.items():
        path = join_path("$.scorecards", name)
        floor = card.floor if card.floor is not None else 0
        if card.floor is not None and card.floor >= card.base:
            yield Diagnostic("scorecard.floor", "the floor must be below the base", path)
        levels: list[int] = []
        for j, th in enumerate(card.thresholds):
            tpath = join_path(path, "thresholds", j)
            if (th.at_or_below is None) == (th.below is None):
                yield Diagnostic(
                    "scorecard.threshold",
                    "a threshold has exactly one of `at_or_below` and `below`",
                    tpath,
                )
                continue
            level = th.at_or_below if th.at_or_below is not None else th.below
            assert level is not None
            if not floor <= level <= card.base:
                yield Diagnostic(
                    "scorecard.threshold",
                    f"threshold {level} lies outside [{floor}, {card.base}]",
                    tpath,
                )
            levels.append(level)
        if levels != sorted(levels, reverse=True) or len(set(levels)) != len(levels):
            yield Diagnostic(
                "scorecard.threshold-order",
                f"thresholds must be strictly descending, got {levels}",
                join_path(path, "thresholds"),
                hint="list the first one crossed first: at_or_below 70, then below 60",
            )


def _check_counter_shape(name: str, counter: CounterSpec) -> Iterator[Diagnostic]:
    path = join_path("$.counters", name)
    if counter.period is not None and counter.window is not None:
        yield Diagnostic(
            "counter.period-and-window",
            "a counter counts per calendar `period` or over a sliding `window`, not both",
            path,
        )
    if counter.window is not None and (
        min(counter.window.days, counter.window.hours, counter.window.minutes) < 0
        or not (counter.window.days or counter.window.hours or counter.window.minutes)
    ):
        yield Diagnostic("counter.window", "a window is a positive span", join_path(path, "window"))
    if counter.consecutive and (
        not counter.reset_on or counter.period is not None or counter.window is not None
    ):
        yield Diagnostic(
            "counter.consecutive",
            "a consecutive counter is a run ended by its `reset_on` events: it needs "
            "`reset_on` and takes no `period` or `window`",
            path,
            hint="e.g. consecutive: true, reset_on: [replacement.accepted]",
        )


def check_ledger(spec: PackSpec) -> Iterator[Diagnostic]:
    """What the ledger needs: counter keys on the events that count or reset them, one
    definition per schedule, and no cycle among derived event types."""
    schedules: dict[str, Any] = {}
    for i, rule in enumerate(spec.rules):
        for effect in rule.effects:
            if isinstance(effect, CountSpec) and effect.counter in spec.counters:
                key = spec.counters[effect.counter].key
                declared = all(t in spec.events for t in rule.event_types)
                if declared and key not in rule_fields(spec, rule):
                    yield Diagnostic(
                        "counter.key",
                        f"counter {effect.counter!r} is kept by `{key}`, which not every event "
                        f"type of this rule has",
                        join_path("$.rules", i, "count", "counter"),
                        rule=rule.id,
                    )
            if isinstance(effect, ScheduleSpec):
                seen = schedules.setdefault(effect.name, effect)
                if seen is not effect and seen.model_dump() != effect.model_dump():
                    yield Diagnostic(
                        "schedule.duplicate",
                        f"schedule {effect.name!r} is defined differently by two rules",
                        join_path("$.rules", i, "schedule", "name"),
                        rule=rule.id,
                    )
    for name, counter in spec.counters.items():
        for j, etype in enumerate(counter.reset_on):
            ev = spec.events.get(etype)
            if (
                ev is not None
                and counter.key not in ev.fields
                and counter.key
                not in (
                    "case",
                    "subject",
                )
            ):
                yield Diagnostic(
                    "counter.key",
                    f"counter {name!r} is kept by `{counter.key}`, which {etype} lacks",
                    join_path("$.counters", name, "reset_on", j),
                )
    for name, card in spec.scorecards.items():
        if (card.period == "cycle") != (card.cycle_years is not None) or (
            card.cycle_years is not None and card.cycle_years < 1
        ):
            yield Diagnostic(
                "scorecard.cycle",
                "`period: cycle` needs `cycle_years` (1 or more), and only a cycle takes it",
                join_path("$.scorecards", name),
                hint="e.g. period: cycle, cycle_years: 3, cycle_start: 2024-01-01",
            )
    yield from check_derived_cycles(spec)


def check_derived_cycles(spec: PackSpec) -> Iterator[Diagnostic]:
    """A rule on a derived type whose effect makes the ledger emit that type again (directly or
    through other rules) would never settle: such a pack does not load."""
    edges: dict[str, set[str]] = {}
    first: dict[tuple[str, str], int] = {}
    for i, rule in enumerate(spec.rules):
        produced = {t for effect in rule.effects for t in effect.produces()}
        for etype in rule.event_types:
            if etype in DERIVED_EVENTS:
                for target in produced:
                    edges.setdefault(etype, set()).add(target)
                    first.setdefault((etype, target), i)
    reported: set[int] = set()
    for start in sorted(edges):
        path = _cycle_from(start, edges)
        if path is None:
            continue
        i = first[path[0], path[1]]
        if i in reported:
            continue
        reported.add(i)
        rule = spec.rules[i]
        yield Diagnostic(
            "rule.derived-cycle",
            f"derived events would loop: {' -> '.join(path)} (rule {rule.id!r} is on "
            f"{path[0]} and its {rule.effects[0].key} makes the ledger emit {path[1]})",
            join_path("$.rules", i, "on"),
            hint="escalate (or check) on derived events; do not start clocks, deduct or count "
            "on the event types those effects produce",
            rule=rule.id,
        )


def _cycle_from(start: str, edges: Mapping[str, set[str]]) -> list[str] | None:
    """The shortest path start -> ... -> start, if any (breadth first)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for node in frontier:
            for target in sorted(edges.get(node, ())):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if target not in parents:
                    parents[target] = node
                    nxt.append(target)
        frontier = nxt
    return None
