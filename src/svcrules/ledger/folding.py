"""Ledger: the per-key state under ``Ledger`` (its layer below the public API): each key's
timeline and last fold, the events held, the reported outcomes, the timer heap, and the re-fold
that keeps them consistent when an event or a timer touches a key: a full re-fold of the key's
timeline, or one step from its carried state when a score or counter entry arrives in order."""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from svcrules.errors import EventError
from svcrules.ledger.changes import MISSING, Change
from svcrules.ledger.clocks import end_id, fold_clock
from svcrules.ledger.counters import CounterCarry, fold_counter, step_counter
from svcrules.ledger.model import Derived, Entry, Fold, Key, Order, OutId, order_of
from svcrules.ledger.routing import Routed, route
from svcrules.ledger.schedules import fold_schedule
from svcrules.ledger.scores import ScoreCarry, fold_score, step_score
from svcrules.runtime.plans import LedgerPlan
from svcrules.runtime.results import Outcome

if TYPE_CHECKING:
    from svcrules.compile import CompiledPack


@dataclass(slots=True)
class Record:
    """An event the ledger holds: an accepted one (with its canonical form) or a derived one,
    and its share of the ledger (entries on keys, its own outcomes), as tuples: compact (its id
    is in its order, its type in its canonical form or its entries)."""

    order: Order | Entry
    """``(UTC instant, id, position)``, or its first entry when it has one (which begins the
    same and holds no tuple of its own); records sort by it (the ids decide ties)."""
    canonical: dict[str, Any] | None
    entries: tuple[Any, ...]
    """Flat ``(key, entry, key, entry, ...)``: one tuple, not one pair per entry."""
    direct: tuple[tuple[OutId, Outcome], ...]

    @property
    def id(self) -> str:
        return self.order[1]


_NONE: dict[Any, Any] = {}
"""The shared empty ``derived`` of a key (most keys derive nothing): never mutated."""


@dataclass(slots=True)
class KeyState:
    """One key's timeline and what its last fold gave (flattened from ``Fold``: a ledger holds
    one of these per clock, so every object counts; the pack is ``key[1]``, a schedule's
    ``known_from`` is in ``Timelines._known``). A clock's: it keeps no outputs of its own (their
    identities follow from its key, ``clocks.end_id``, so ``Timelines._held`` reads them from
    ``_outputs``); other keys' are ``FlatState``."""

    entries: Entry | list[Entry] | None = None
    """The timeline, sorted: ``None`` when empty and the entry itself when it is the only one
    (most clocks: one start), a list from the second entry on (``timeline`` reads all three)."""
    view: Any = None
    derived: dict[str, Derived] = field(default_factory=lambda: _NONE)
    timer: dt.datetime | None = None

    def timeline(self) -> list[Entry]:
        held = self.entries
        if isinstance(held, list):
            return held
        return [] if held is None else [held]

    def insert(self, entry: Entry) -> bool:
        """Put ``entry`` at its place in the timeline; whether it went last."""
        held = self.entries
        if held is None:
            self.entries = entry
            return True
        if isinstance(held, Entry):
            last = held < entry  # as their orders compare (see Entry)
            self.entries = [held, entry] if last else [entry, held]
            return last
        if held[-1] < entry:
            held.append(entry)
            return True
        bisect.insort(held, entry)
        return False

    def discard(self, entry: Entry) -> None:
        held = self.entries
        if held is entry:
            self.entries = None
        elif isinstance(held, list):
            i = bisect.bisect_left(held, entry)
            if i < len(held) and held[i] is entry:
                del held[i]


@dataclass(slots=True)
class FlatState(KeyState):
    """A score's, counter's or schedule's state: with the outcomes of its last fold."""

    outputs: Sequence[Any] = ()
    """Flat ``(oid, outcome, oid, outcome, ...)``: one tuple, not one per outcome (a list once
    a step has appended to it)."""


class Timelines:
    """The ledger's state and its re-fold; ``Ledger`` adds the API, event intake and the store.
    Subclasses set the attributes in ``__init__`` before anything is folded."""

    _packs: dict[str, CompiledPack]
    _plans: dict[str, LedgerPlan]
    _events: dict[str, Record]
    _keys: dict[Key, KeyState]
    _outputs: dict[OutId, Outcome]
    _heap: list[tuple[dt.datetime, Key]]
    _watermark: dt.datetime | None
    _carries: dict[Key, Any]
    _known: dict[Key, dt.datetime]
    """For schedule keys: since when the subject is known (the schedule's ``known_from``)."""
    """What the last fold of a score or counter key left for a one-step fold of its next entry
    (clocks and schedules keep none: their timelines are short and their timers move)."""

    def _key(self, key: Key) -> KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = KeyState() if key[0] == "clock" else FlatState()
        return state

    def _seen(self, pack: str, e: Mapping[str, Any], change: Change) -> None:
        """A subject's first event starts the schedules that apply to every known subject."""
        subject = e.get("subject")
        if subject is None:
            return
        for sched in self._plans[pack].schedules.values():
            if sched.subjects is None:
                key = ("schedule", pack, sched.name, str(subject))
                self._key(key)
                known = self._known.get(key)
                if known is None or e["at"] < known:
                    self._known[key] = e["at"]
                    change.dirty[key] = None

    def _add(self, record: Record, change: Change) -> None:
        self._events[record.id] = record
        flat = record.entries
        for key, entry in zip(flat[::2], flat[1::2], strict=True):
            # in order (last), a step may fold just this entry
            step = entry if self._key(key).insert(entry) else None
            change.dirty[key] = step if key not in change.dirty else None
        for oid, outcome in record.direct:
            self._set(oid, outcome, change)

    def _remove(self, event_id: str, change: Change) -> None:
        record = self._events.pop(event_id, None)
        if record is None:
            return
        flat = record.entries
        for key, entry in zip(flat[::2], flat[1::2], strict=True):
            self._keys[key].discard(entry)
            change.dirty[key] = None
        for oid, _ in record.direct:
            self._set(oid, MISSING, change)

    def _set(self, oid: OutId, value: Any, change: Change) -> None:
        if oid not in change.before:
            change.before[oid] = self._outputs.get(oid, MISSING)
        if value is MISSING:
            self._outputs.pop(oid, None)
        else:
            self._outputs[oid] = value

    # --- folding ----------------------------------------------------------------------------------

    def _settle(self, change: Change) -> None:
        """Re-fold dirty keys until nothing changes (the pack's derived-event graph is acyclic,
        so this ends)."""
        while change.dirty:
            key, step = next(iter(change.dirty.items()))
            del change.dirty[key]
            carry = self._carries.get(key) if step is not None else None
            if carry is not None and step is not None:
                self._step(key, step, carry, change)
            else:
                self._refold(key, change)

    def _fold(self, key: Key, state: KeyState) -> Fold:
        plan = self._plans[key[1]]
        kind = key[0]
        entries = state.timeline()
        if kind == "clock":
            return fold_clock(key, entries, self._watermark, plan.clocks, plan.listened)
        if kind == "score":
            return fold_score(key, entries, plan.scorecards[key[2]])
        if kind == "counter":
            return fold_counter(key, entries, plan.counters[key[2]])
        if kind == "schedule":
            sched = plan.schedules[key[2]]
            return fold_schedule(key, entries, self._known.get(key), sched, self._watermark)
        raise AssertionError(f"unknown key kind {kind!r}")

    def _step(self, key: Key, entry: Entry, carry: Any, change: Change) -> None:
        """Fold ``entry``, now the last of the key's timeline and added alone, from the state
        the fold of the entries before it left: it only adds outputs and derived events."""
        state = self._keys[key]
        plan = self._plans[key[1]]
        try:
            if isinstance(carry, ScoreCarry):
                new = step_score(key, entry, plan.scorecards[key[2]], carry)
            else:
                assert isinstance(carry, CounterCarry)
                new = step_counter(key, entry, plan.counters[key[2]], carry)
        except BaseException:
            del self._carries[key]  # half moved on: the next touch re-folds from the start
            raise
        assert isinstance(state, FlatState)  # scores and counters
        if new.outputs:
            flat = state.outputs if isinstance(state.outputs, list) else list(state.outputs)
            for oid, value in new.outputs.items():
                self._set(oid, value, change)
                flat += (oid, value)
            state.outputs = flat
        state.view = new.view
        if new.derived:
            if state.derived is _NONE:
                state.derived = {}
            state.derived.update(new.derived)
            for derived in new.derived.values():
                self._derive(key[1], derived, change)
        change.warnings.extend(new.warnings)

    def _refold(self, key: Key, change: Change) -> None:
        state = self._keys[key]
        self._carries.pop(key, None)  # stale from here on, even if the fold raises
        new = self._fold(key, state)
        if new.carry is not None:
            self._carries[key] = new.carry
        old_outputs = self._held(key, state)
        for oid in old_outputs.keys() - new.outputs.keys():
            self._set(oid, MISSING, change)
        for oid, value in new.outputs.items():
            if old_outputs.get(oid, MISSING) != value:
                self._set(oid, value, change)
        old_derived = state.derived
        for did, derived in old_derived.items():
            if new.derived.get(did) != derived:
                self._remove(did, change)
        for did, derived in new.derived.items():
            if old_derived.get(did) != derived:
                self._derive(key[1], derived, change)
        state.view = new.view
        if isinstance(state, FlatState):
            state.outputs = tuple(x for pair in new.outputs.items() for x in pair)
        state.derived = new.derived or _NONE
        change.warnings.extend(new.warnings)
        if new.next_timer != state.timer:
            state.timer = new.next_timer
            if new.next_timer is not None:
                heapq.heappush(self._heap, (new.next_timer, key))

    def _held(self, key: Key, state: KeyState) -> dict[OutId, Outcome]:
        """The outcomes the key's last fold gave. A clock keeps none of its own: its identities
        follow from its key, and only its fold sets them in ``_outputs``."""
        if not isinstance(state, FlatState):  # a clock
            held = {}
            for oid in (key, end_id(key)):
                value = self._outputs.get(oid, MISSING)
                if value is not MISSING:
                    held[oid] = value
            return held
        flat = state.outputs
        return dict(zip(flat[::2], flat[1::2], strict=True))

    def _derive(self, pack: str, derived: Derived, change: Change) -> None:
        """Run the pack's rules on a derived event; its outcomes live as long as it does."""
        if derived.type not in self._plans[pack].listened:
            return
        cp = self._packs[pack]
        routed = Routed()
        order = order_of(derived.at, derived.id)
        try:
            e = cp.shapes[derived.type].validate(derived.to_event())
            out: list[Any] = []
            cp.handlers[derived.type](e, out)
            route(pack, self._plans[pack], e, out, routed, order[0])
        except EventError as exc:  # a rule that fails on a derived event: said, not fatal
            change.warnings.append(f"rules on {derived.type} {derived.id} failed: {exc}")
            routed = Routed()
        record = Record(routed.order(order), None, routed.flat(), tuple(routed.direct))
        self._add(record, change)
