"""Ledger: the stateful evaluator on event time. It keeps each key's timeline of intents sorted
by ``(event time, id)``, re-folds only the keys an event or a timer touches, feeds derived
events back through the pack's rules, and reports what changed (and what it withdraws)."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import heapq
import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError, PackError, SvcrulesError, internal_error
from svcrules.ledger import snapshot as snap
from svcrules.ledger.changes import MISSING, Change, decision
from svcrules.ledger.clocks import fold_clock, late_ref
from svcrules.ledger.counters import fold_counter
from svcrules.ledger.model import Derived, Entry, Fold, Key, OutId, order_of
from svcrules.ledger.routing import Routed, route
from svcrules.ledger.schedules import fold_schedule
from svcrules.ledger.scores import ScoreView, fold_score
from svcrules.ledger.store import SqliteStore, write_error
from svcrules.runtime.derived import DERIVED_EVENTS
from svcrules.runtime.due import period_label
from svcrules.runtime.events import Event, check_envelope, parse_instant
from svcrules.runtime.plans import LedgerPlan
from svcrules.runtime.results import (
    Deadline,
    Decision,
    Outcome,
    Rejection,
    Status,
)

if TYPE_CHECKING:
    from svcrules.compile import CompiledPack


@dataclass(slots=True)
class _Record:
    """An event the ledger holds: an accepted one (with its canonical form) or a derived one,
    and its share of the ledger (entries on keys, its own outcomes), as tuples: compact."""

    id: str
    type: str
    order: tuple[dt.datetime, str, int]
    canonical: dict[str, Any] | None
    entries: tuple[tuple[Key, Entry], ...]
    direct: tuple[tuple[OutId, Outcome], ...]


_NONE: dict[Any, Any] = {}
"""The shared empty ``derived`` of a key (most keys derive nothing): never mutated."""


@dataclass(slots=True)
class _Key:
    """One key's timeline and what its last fold gave (flattened from ``Fold``: a ledger holds
    one of these per clock, so every object counts)."""

    pack: str
    entries: list[Entry] = field(default_factory=list)
    known_from: dt.datetime | None = None
    view: Any = None
    outputs: tuple[Any, ...] = ()
    """Flat ``(oid, outcome, oid, outcome, ...)``: one tuple, not one per outcome."""
    derived: dict[str, Derived] = field(default_factory=lambda: _NONE)
    timer: dt.datetime | None = None


class Ledger:
    """State on event time over one engine's compiled packs; made by ``Engine.ledger()``.

    Keys are independent: a clock ``(pack, case, clock)``, a scorecard period ``(pack,
    scorecard, subject, period)``, a counter ``(pack, counter, key, period)``, a schedule
    ``(pack, schedule, subject)``. See docs/ledger.md.
    """

    STORE_BATCH = 500
    """Events per transaction in ``apply_many`` on a store."""

    def __init__(
        self,
        compiled: Sequence[CompiledPack],
        params: Sequence[Mapping[str, Any]],
        *,
        snapshot: Mapping[str, Any] | None = None,
        store: str | os.PathLike[str] | None = None,
    ) -> None:
        self._store: SqliteStore | None = None
        self._store_failed: PackError | None = None
        self._packs = {cp.name: cp for cp in compiled}
        self._plans: dict[str, LedgerPlan] = {
            cp.name: cp.ledger if cp.ledger is not None else LedgerPlan(cp.timezone)
            for cp in compiled
        }
        self._identity = snap.identity(
            [
                (cp.name, cp.version, cp.edition, snap.params_digest(p))
                for cp, p in zip(compiled, params, strict=True)
            ]
        )
        dispatch: dict[str, list[tuple[str, Any, Any]]] = {}
        for cp in compiled:
            for etype, shape in cp.shapes.items():
                if etype not in DERIVED_EVENTS:
                    dispatch.setdefault(etype, []).append(
                        (cp.name, shape.validate, cp.handlers[etype])
                    )
        self._dispatch = dispatch
        self._types = frozenset(dispatch) | DERIVED_EVENTS.keys()
        self._events: dict[str, _Record] = {}
        self._keys: dict[Key, _Key] = {}
        self._outputs: dict[OutId, Outcome] = {}
        self._heap: list[tuple[dt.datetime, Key]] = []  # ties broken by the key itself
        self._watermark: dt.datetime | None = None
        change = Change()
        for name, plan in self._plans.items():
            for sched in plan.schedules.values():
                for subject in sched.subjects or ():
                    key = ("schedule", name, sched.name, subject)
                    self._key(key).known_from = sched.start
                    change.dirty[key] = None
        self._settle(change)
        if snapshot is not None:
            snap.check_snapshot(snapshot, self._identity)
        if store is not None:
            opened = SqliteStore(store, self._identity)
            try:
                self.replay(opened.events(), opened.watermark())
            except BaseException:
                opened.close()
                raise
            self._store = opened
        if snapshot is not None:
            self.replay(snapshot["events"], snapshot.get("watermark"))

    # --- the API ------------------------------------------------------------------------------

    @property
    def watermark(self) -> dt.datetime | None:
        """The latest ``now`` given to ``advance`` (None before the first)."""
        return self._watermark

    def apply(self, event: Mapping[str, Any] | Event) -> Decision:
        """Fold ``event`` in at its place in event time; what it changed, including outcomes
        withdrawn (``retracted``). The same event again is a no-op (an empty decision); the
        same id with other content raises ``EventError`` (``event.conflicting-duplicate``)."""
        try:
            return self._apply(event)
        except SvcrulesError:
            raise
        except Exception as exc:  # a bug in svcrules must still reach the caller as its error
            raise internal_error(EventError, "event.internal", "in the ledger", exc) from exc

    def apply_many(self, events: Iterable[Any]) -> Iterator[Decision | Rejection]:
        """A ``Decision`` or a ``Rejection`` per event, in input order; never stops for a bad
        event. With a store, events are committed in batches of ``STORE_BATCH``, each before
        its decisions are yielded."""
        if self._store is None:
            for index, event in enumerate(events):
                yield self._apply_one(index, event)
            return
        numbered = enumerate(events)
        while batch := list(itertools.islice(numbered, self.STORE_BATCH)):
            results = []
            with self._writing():
                for index, event in batch:
                    results.append(self._apply_one(index, event))
            yield from results

    def _apply_one(self, index: int, event: Any) -> Decision | Rejection:
        try:
            return self.apply(event)
        except EventError as exc:
            raw = event.to_mapping() if isinstance(event, Event) else event
            event_id = raw.get("id") if isinstance(raw, Mapping) else None
            return Rejection(
                event_id=None if event_id is None else str(event_id), index=index, error=exc
            )

    def close(self) -> None:
        """Close the store, if any (an in-memory ledger has nothing to close)."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, now: dt.datetime | str) -> Decision:
        """Fire the timers due by ``now`` (warnings, breaches, missed occurrences). The
        watermark only moves forward: an earlier ``now`` changes nothing and says so."""
        try:
            instant = parse_instant(now)
        except Exception:
            raise EventError(
                [Diagnostic("event.bad-type", f"now must be an aware date-time, got {now!r}")]
            ) from None
        if self._watermark is not None and instant < self._watermark:
            return Decision(
                event_id=None,
                warnings=(
                    f"advance to {instant.isoformat()} ignored: the ledger is already at "
                    f"{self._watermark.isoformat()}",
                ),
            )
        try:
            if self._store is not None and instant != self._watermark:
                with self._writing():
                    self._store.set_watermark(instant.isoformat())
            self._watermark = instant
            change = Change()
            while self._heap and self._heap[0][0] <= instant:
                when, key = heapq.heappop(self._heap)
                state = self._keys.get(key)
                if state is not None and state.timer == when:
                    state.timer = None
                    change.dirty[key] = None
            self._settle(change)
            return self._decision(change, None, None)
        except SvcrulesError:
            raise
        except Exception as exc:
            raise internal_error(EventError, "event.internal", "in the ledger", exc) from exc

    def deadlines(
        self, case: str | None = None, status: Status | None = None
    ) -> tuple[Deadline, ...]:
        """Every clock now, by due time: its status, its due time after pauses and extensions;
        a breached clock still open shows how late it is at the watermark."""
        out = []
        for key, state in self._keys.items():
            view = state.view
            if key[0] != "clock" or not isinstance(view, Deadline):
                continue
            if case is not None and view.case != case:
                continue
            if view.status == "breached" and view.late_by is None and self._watermark:
                late = self._watermark - late_ref(view.unit, view.due, view.due_date)
                view = replace(view, late_by=max(late, dt.timedelta(0)))
            if status is None or view.status == status:
                out.append(view)
        out.sort(key=lambda d: (d.due, d.case or "", d.clock, d.pack))
        return tuple(out)

    def score(
        self, subject: str, scorecard: str | None = None, at: dt.datetime | str | None = None
    ) -> int:
        """``subject``'s score on ``scorecard`` as of ``at`` in the period holding ``at``
        (default: at the end of the latest period with deductions; the base if none)."""
        pack, plan = self._scorecard(scorecard)
        name = plan.name
        if at is not None:
            instant = parse_instant(at)
            period = period_label(instant, plan.period, self._plans[pack].tz)
            state = self._keys.get(("score", pack, name, subject, period))
            view = state.view if state is not None else None
            return view.at(instant) if isinstance(view, ScoreView) else plan.base
        latest: ScoreView | None = None
        for key, state in self._keys.items():
            view = state.view
            if (
                key[:4] == ("score", pack, name, subject)
                and isinstance(view, ScoreView)
                and view.last is not None
                and (latest is None or latest.last is None or view.last > latest.last)
            ):
                latest = view
        return latest.at(None) if latest is not None else plan.base

    def snapshot(self) -> dict[str, Any]:
        """The ledger as plain JSON data: format version, packs (name, version, edition, params
        digest), watermark and the accepted events in canonical ``(at, id)`` order."""
        return {
            "format": snap.FORMAT,
            "version": snap.VERSION,
            "packs": [dict(p) for p in self._identity],
            "watermark": self._watermark.isoformat() if self._watermark else None,
            "events": self.accepted_events(),
        }

    def accepted_events(self) -> list[dict[str, Any]]:
        """Every accepted event in canonical JSON form, in ``(at, id)`` order: what a durable
        store keeps; ``replay`` (or ``Engine.ledger(snapshot=...)``) rebuilds the ledger."""
        records = sorted(
            (r for r in self._events.values() if r.canonical is not None), key=lambda r: r.order
        )
        return [dict(r.canonical) for r in records if r.canonical is not None]

    def replay(
        self, events: Iterable[Mapping[str, Any]], watermark: dt.datetime | str | None = None
    ) -> None:
        """Apply accepted events (any order) and advance to ``watermark``: the constructor path
        of snapshots and stores. Raises ``EventError`` on an event this ledger refuses."""
        for event in events:
            self.apply(event)
        if watermark is not None:
            self.advance(watermark)

    def __repr__(self) -> str:
        return (
            f"<Ledger {', '.join(self._packs)}: {len(self._events)} events, "
            f"{len(self._keys)} keys, watermark {self._watermark}>"
        )

    # --- applying -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A store transaction; a failed one leaves the ledger refusing work (its memory may
        hold events the store lost): reopen it from the store."""
        assert self._store is not None
        if self._store_failed is not None:
            raise self._store_failed
        try:
            with self._store.transaction():
                yield
        except sqlite3.Error as exc:
            self._store_failed = write_error(self._store.path, exc)
            raise self._store_failed from None

    def _apply(self, event: Mapping[str, Any] | Event) -> Decision:
        raw = event.to_mapping() if isinstance(event, Event) else event
        etype = check_envelope(raw, self._types)
        if etype in DERIVED_EVENTS:
            raise EventError(
                [
                    Diagnostic(
                        "event.derived-type",
                        f"{etype} is derived by the ledger itself and cannot be applied",
                        "$.type",
                        hint="Engine.evaluate accepts it, to try the rules on it",
                    )
                ]
            )
        views = []
        for pack, validate, handle in self._dispatch[etype]:
            e = validate(raw)
            out: list[Any] = []
            handle(e, out)
            views.append((pack, e, out))
        first = views[0][1]
        event_id = first["id"]
        if event_id is None:
            raise EventError(
                [Diagnostic("event.missing-field", "the ledger needs every event's `id`", "$.id")]
            )
        canonical = snap.canonical(raw)
        held = self._events.get(event_id)
        if held is not None:
            # digests only on this rare path: the held event keeps its canonical form
            if held.canonical is not None and snap.digest(
                held.canonical, held.order[0]
            ) == snap.digest(canonical, first["at"]):
                return Decision(event_id=event_id, event_type=etype)
            raise EventError(
                [
                    Diagnostic(
                        "event.conflicting-duplicate",
                        f"event {event_id!r} was applied before with other content",
                        "$.id",
                        hint="give a corrected event a new id",
                    )
                ]
            )
        routed = Routed()
        for pack, e, out in views:
            route(pack, self._plans[pack], e, out, routed)
        if self._store is not None:  # written ahead of folding: a crash loses nothing
            at = first["at"].astimezone(dt.UTC).isoformat()
            payload = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
            digest = snap.digest(canonical, first["at"])
            with self._writing():
                self._store.add((event_id, at, digest, payload))
        record = _Record(
            event_id,
            etype,
            order_of(first["at"], event_id),
            canonical,
            tuple(routed.entries),
            tuple(routed.direct),
        )
        change = Change()
        self._add(record, change)
        for pack, e, _ in views:
            self._seen(pack, e, change)
        self._settle(change)
        return self._decision(change, event_id, etype)

    def _seen(self, pack: str, e: Mapping[str, Any], change: Change) -> None:
        """A subject's first event starts the schedules that apply to every known subject."""
        subject = e.get("subject")
        if subject is None:
            return
        for sched in self._plans[pack].schedules.values():
            if sched.subjects is None:
                key = ("schedule", pack, sched.name, str(subject))
                state = self._key(key)
                if state.known_from is None or e["at"] < state.known_from:
                    state.known_from = e["at"]
                    change.dirty[key] = None

    def _key(self, key: Key) -> _Key:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _Key(key[1])
        return state

    def _add(self, record: _Record, change: Change) -> None:
        self._events[record.id] = record
        for key, entry in record.entries:
            bisect.insort(self._key(key).entries, entry, key=lambda x: x.order)
            change.dirty[key] = None
        for oid, outcome in record.direct:
            self._set(oid, outcome, change)

    def _remove(self, event_id: str, change: Change) -> None:
        record = self._events.pop(event_id, None)
        if record is None:
            return
        for key, entry in record.entries:
            entries = self._keys[key].entries
            i = bisect.bisect_left(entries, entry.order, key=lambda x: x.order)
            if i < len(entries) and entries[i] is entry:
                del entries[i]
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

    # --- folding --------------------------------------------------------------------------------

    def _settle(self, change: Change) -> None:
        """Re-fold dirty keys until nothing changes (the pack's derived-event graph is acyclic,
        so this ends)."""
        while change.dirty:
            key = next(iter(change.dirty))
            del change.dirty[key]
            self._refold(key, change)

    def _fold(self, key: Key, state: _Key) -> Fold:
        plan = self._plans[state.pack]
        kind = key[0]
        if kind == "clock":
            return fold_clock(key, state.entries, self._watermark, plan.clocks, plan.listened)
        if kind == "score":
            return fold_score(key, state.entries, plan.scorecards[key[2]])
        if kind == "counter":
            return fold_counter(key, state.entries, plan.counters[key[2]])
        if kind == "schedule":
            sched = plan.schedules[key[2]]
            return fold_schedule(key, state.entries, state.known_from, sched, self._watermark)
        raise AssertionError(f"unknown key kind {kind!r}")

    def _refold(self, key: Key, change: Change) -> None:
        state = self._keys[key]
        new = self._fold(key, state)
        flat = state.outputs
        old_outputs = dict(zip(flat[::2], flat[1::2], strict=True))
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
                self._derive(state.pack, derived, change)
        state.view = new.view
        state.outputs = tuple(x for pair in new.outputs.items() for x in pair)
        state.derived = new.derived or _NONE
        change.warnings.extend(new.warnings)
        if new.next_timer != state.timer:
            state.timer = new.next_timer
            if new.next_timer is not None:
                heapq.heappush(self._heap, (new.next_timer, key))

    def _derive(self, pack: str, derived: Derived, change: Change) -> None:
        """Run the pack's rules on a derived event; its outcomes live as long as it does."""
        if derived.type not in self._plans[pack].listened:
            return
        cp = self._packs[pack]
        routed = Routed()
        try:
            e = cp.shapes[derived.type].validate(derived.to_event())
            out: list[Any] = []
            cp.handlers[derived.type](e, out)
            route(pack, self._plans[pack], e, out, routed)
        except EventError as exc:  # a rule that fails on a derived event: said, not fatal
            change.warnings.append(f"rules on {derived.type} {derived.id} failed: {exc}")
            routed = Routed()
        order = order_of(derived.at, derived.id)
        record = _Record(
            derived.id, derived.type, order, None, tuple(routed.entries), tuple(routed.direct)
        )
        self._add(record, change)

    def _decision(self, change: Change, event_id: str | None, etype: str | None) -> Decision:
        return decision(change, self._outputs, event_id, etype)

    def _scorecard(self, name: str | None) -> tuple[str, Any]:
        found = [
            (pack, plan.scorecards[card])
            for pack, plan in self._plans.items()
            for card in plan.scorecards
            if name is None or card == name
        ]
        if len(found) != 1:
            known = sorted({c for p in self._plans.values() for c in p.scorecards})
            what = "no scorecard" if not found else "more than one scorecard"
            raise PackError(
                [
                    Diagnostic(
                        "scorecard.unknown",
                        f"{what} matches {name!r} in this ledger's packs",
                        hint=f"scorecards: {', '.join(known) or 'none'}",
                    )
                ]
            )
        return found[0]
