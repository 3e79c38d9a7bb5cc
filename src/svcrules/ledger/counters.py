"""Ledger: folds one counter ``(pack, counter, key, period)``: a tally per calendar period, over
a sliding window, or a run since the last ``reset_on`` event; ``counter.exceeded`` each time the
tally goes above the limit. ``step_counter`` folds one more in-order entry from the carry."""

from __future__ import annotations

import collections
import datetime as dt
from dataclasses import dataclass, field

from svcrules.ledger.model import Derived, Entry, Fold, Key, Reset, derived_id
from svcrules.runtime.intents import CountIntent
from svcrules.runtime.plans import CounterPlan


@dataclass(slots=True)
class CounterCarry:
    """What a fold of a counter's first N entries leaves for entry N+1."""

    total: int = 0
    recent: collections.deque[tuple[dt.datetime, int]] = field(default_factory=collections.deque)


def fold_counter(key: Key, entries: list[Entry], plan: CounterPlan) -> Fold:
    """Tally the timeline in event-time order. A window counts the events in ``(t - window,
    t]``; a ``reset_on`` event empties the tally. ``counter.exceeded`` fires when the tally goes
    from at most ``limit`` to above it (so "the third in a row" is ``limit: 2``)."""
    fold = Fold()
    carry = CounterCarry()
    for entry in entries:
        _count(key, entry, plan, carry, fold)
    fold.view = carry.total
    fold.carry = carry
    return fold


def step_counter(key: Key, entry: Entry, plan: CounterPlan, carry: CounterCarry) -> Fold:
    """One entry after every one ``carry`` holds: only what it adds and the new tally;
    ``carry`` moves on. The same as ``fold_counter`` of them all."""
    fold = Fold()
    _count(key, entry, plan, carry, fold)
    fold.view = carry.total
    fold.carry = carry
    return fold


def _count(key: Key, entry: Entry, plan: CounterPlan, carry: CounterCarry, fold: Fold) -> None:
    item = entry.intent
    recent = carry.recent
    if isinstance(item, Reset):
        recent.clear()
        carry.total = 0
        return
    assert isinstance(item, CountIntent)
    before = carry.total
    if plan.window is not None:  # only a window reads ``recent``: a run or period keeps none
        while recent and recent[0][0] <= entry.at - plan.window:
            carry.total -= recent.popleft()[1]
        before = carry.total
        recent.append((entry.at, item.amount))
    carry.total += item.amount
    if before <= plan.limit < carry.total:
        did = derived_id(key, "exceeded", *entry.order[1:])
        fold.derived[did] = Derived(
            did,
            "counter.exceeded",
            entry.at,
            {
                "counter": plan.name,
                "key": item.key,
                "count": carry.total,
                "limit": plan.limit,
                "period": key[4] or None,
                "rule": item.rule,
                "subject": item.subject,
                "case": item.case,
            },
        )
