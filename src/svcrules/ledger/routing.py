"""Ledger: routes what one event of one pack implies to keys: each intent of the compiled
handler to its clock, scorecard period, counter or schedule, the ``reset_on`` events to their
counters; escalations, violations and clock signals stay with the event itself."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from svcrules.ledger.model import Entry, Key, Order, OutId, Reset, order_of
from svcrules.runtime.due import period_label
from svcrules.runtime.intents import CountIntent, ScheduleIntent
from svcrules.runtime.plans import LedgerPlan
from svcrules.runtime.results import (
    ClockSignal,
    Deadline,
    Deduction,
    Escalation,
    Outcome,
    Violation,
)


@dataclass(slots=True)
class Routed:
    """An event's share of the ledger: entries on keys, and its own outcomes."""

    entries: list[tuple[Key, Entry]] = field(default_factory=list)
    direct: list[tuple[OutId, Outcome]] = field(default_factory=list)

    def order(self, default: Order) -> Order | Entry:
        """The event's order: its first entry if it has one (same instant and id, and ids are
        unique, so what follows them never decides between two events)."""
        return self.entries[0][1] if self.entries else default

    def flat(self) -> tuple[Any, ...]:
        """The entries as one flat ``(key, entry, key, entry, ...)`` tuple, as a record keeps
        them."""
        return tuple(itertools.chain.from_iterable(self.entries))


def counter_key(pack: str, plan: LedgerPlan, counter: str, value: str, at: dt.datetime) -> Key:
    c = plan.counters[counter]
    period = period_label(at, c.period, plan.tz) if c.period is not None else ""
    return ("counter", pack, counter, value, period)


def route(
    pack: str,
    plan: LedgerPlan,
    e: Mapping[str, Any],
    items: list[Any],
    into: Routed,
    utc: dt.datetime | None = None,
) -> None:
    """Add the keys and outcomes of one pack's view ``e`` of an event and its handler's
    ``items`` to ``into``; ``utc`` is the event's instant in UTC, when the caller has it."""
    event_id: str = e["id"]
    etype: str = e["type"]
    at: dt.datetime = e["at"]
    n = len(into.entries) + len(into.direct)
    if utc is None:
        utc = order_of(at, event_id)[0]  # one instant shared by the event's entries
    for item in items:
        n += 1
        match item:
            case Deadline():
                key: Key = ("clock", pack, item.case or "", item.clock)
                into.entries.append((key, Entry(utc, event_id, n, etype, item)))
            case ClockSignal():
                key = ("clock", pack, item.case or "", item.clock)
                into.entries.append((key, Entry(utc, event_id, n, etype, item)))
                into.direct.append((("event", event_id, str(n)), item))
            case Deduction():
                key = ("score", pack, item.scorecard, item.subject, item.period)
                into.entries.append((key, Entry(utc, event_id, n, etype, item)))
            case CountIntent():
                key = counter_key(pack, plan, item.counter, item.key, at)
                into.entries.append((key, Entry(utc, event_id, n, etype, item)))
            case ScheduleIntent():
                key = ("schedule", pack, item.schedule, item.subject)
                into.entries.append((key, Entry(utc, event_id, n, etype, item)))
            case Escalation() | Violation():
                into.direct.append((("event", event_id, str(n)), item))
            case _:
                assert_never(item)
    for name, counter in plan.counters.items():
        if etype in counter.reset_on and e.get(counter.key) is not None:
            n += 1
            key = counter_key(pack, plan, name, str(e[counter.key]), at)
            reset = Reset(name, at, event_id)
            into.entries.append((key, Entry(utc, event_id, n, etype, reset)))
