"""Ledger: the values every part of the ledger shares: keys, timeline entries, derived events,
the result of folding one key, and deterministic ids."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from svcrules.runtime.intents import CountIntent, ScheduleIntent
from svcrules.runtime.results import ClockSignal, Deadline, Deduction, Outcome

Key = tuple[str, ...]
"""``("clock", pack, case, clock)``, ``("score", pack, scorecard, subject, period)``,
``("counter", pack, counter, key, period)``, ``("schedule", pack, schedule, subject)``."""

OutId = tuple[str, ...]
"""Identity of a reported outcome: a key plus what it is within the key, or an event plus the
position of a rule's outcome. A clock's start is the clock's key itself (its end is
``(*key, "end")``): a ledger holds one per open clock, so it shares the key's tuple; no other
identity is a clock key (those of events begin with ``"event"``)."""


@dataclass(frozen=True, slots=True)
class Reset:
    """A ``reset_on`` event for a counter (routed by the ledger, not by a rule)."""

    counter: str
    at: dt.datetime
    event_id: str


Intent = Deadline | ClockSignal | Deduction | CountIntent | ScheduleIntent | Reset


Order = tuple[dt.datetime, str, int]
"""``(UTC instant, event id, position)``: where an event's intent sits in event time."""


class Entry(NamedTuple):
    """One intent on a key's timeline: ``(UTC instant, event id, position, event type,
    intent)``. Its first three are its ``order`` and are unique (an event's positions are
    distinct, ids are unique), so entries compare as their orders do, without a tuple of their
    own (a ledger holds one per open clock)."""

    utc: dt.datetime
    event_id: str
    n: int
    etype: str
    intent: Intent

    @property
    def order(self) -> Order:
        return (self[0], self[1], self[2])

    @property
    def at(self) -> dt.datetime:
        return self[0]


def order_of(at: dt.datetime, event_id: str, n: int = 0) -> Order:
    """The canonical position of an event's ``n``-th intent: by UTC instant, then id."""
    return (at.astimezone(dt.UTC), event_id, n)


@dataclass(frozen=True, slots=True)
class Derived:
    """A derived event the ledger emits from a key's state (``deadline.breached`` ...)."""

    id: str
    type: str
    at: dt.datetime
    fields: Mapping[str, Any]

    def to_event(self) -> dict[str, Any]:
        return {**self.fields, "id": self.id, "type": self.type, "at": self.at}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Derived):
            return NotImplemented
        return (self.id, self.type, self.at, dict(self.fields)) == (
            other.id,
            other.type,
            other.at,
            dict(other.fields),
        )

    def __hash__(self) -> int:
        return hash((self.id, self.type))


@dataclass(slots=True)
class Fold:
    """What folding one key's timeline gave: its outcomes by identity, its derived events by
    id, its next timer after the horizon, and a view for queries."""

    outputs: dict[OutId, Outcome] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)
    next_timer: dt.datetime | None = None
    view: Any = None
    warnings: tuple[str, ...] = ()
    carry: Any = None
    """What a one-step fold of the next in-order entry starts from (scores, counters)."""


def _text(part: object) -> str:
    if isinstance(part, dt.datetime):
        return part.astimezone(dt.UTC).isoformat()
    return str(part)


def derived_id(key: Key, kind: str, *parts: object) -> str:
    """A derived event's id: a hash of its key, kind and instant or threshold, so folding the
    same timeline again gives the same id."""
    text = "\x1f".join([*key, kind, *map(_text, parts)])
    return "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def horizon(entries: list[Entry], now: dt.datetime | None) -> dt.datetime | None:
    """How far a key's timers may run: the watermark, or its own latest event if later."""
    last = entries[-1].at if entries else None
    if now is None:
        return last
    if last is None:
        return now
    return max(now, last)
