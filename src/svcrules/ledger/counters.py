"""Ledger: folds one counter ``(pack, counter, key, period)``: a tally per calendar period, over
a sliding window, or a run since the last ``reset_on`` event; ``counter.exceeded`` each time the
tally goes above the limit."""

from __future__ import annotations

import collections
import datetime as dt

from svcrules.ledger.model import Derived, Entry, Fold, Key, Reset, derived_id
from svcrules.runtime.intents import CountIntent
from svcrules.runtime.plans import CounterPlan


def fold_counter(key: Key, entries: list[Entry], plan: CounterPlan) -> Fold:
    """Tally the timeline in event-time order. A window counts the events in ``(t - window,
    t]``; a ``reset_on`` event empties the tally. ``counter.exceeded`` fires when the tally goes
    from at most ``limit`` to above it (so "the third in a row" is ``limit: 2``)."""
    fold = Fold()
    recent: collections.deque[tuple[dt.datetime, int]] = collections.deque()
    total = 0
    for entry in entries:
        item = entry.intent
        if isinstance(item, Reset):
            recent.clear()
            total = 0
            continue
        assert isinstance(item, CountIntent)
        if plan.window is not None:
            while recent and recent[0][0] <= entry.at - plan.window:
                total -= recent.popleft()[1]
        before = total
        total += item.amount
        recent.append((entry.at, item.amount))
        if before <= plan.limit < total:
            did = derived_id(key, "exceeded", *entry.order[1:])
            fold.derived[did] = Derived(
                did,
                "counter.exceeded",
                entry.at,
                {
                    "counter": plan.name,
                    "key": item.key,
                    "count": total,
                    "limit": plan.limit,
                    "period": key[4] or None,
                    "rule": item.rule,
                    "subject": item.subject,
                    "case": item.case,
                },
            )
    fold.view = total
    return fold
