"""Ledger: the public ``Ledger`` on top of ``folding`` (per-key state and re-fold): event
intake (validation, duplicates, routing, the store written ahead), ``advance``, the queries,
snapshots and replay; it reports what each call changed (and what it withdraws)."""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from svcrules.diagnostics import Diagnostic, JSONObject, JSONValue
from svcrules.errors import EventError, PackError, SvcrulesError, internal_error
from svcrules.ledger import snapshot as snap
from svcrules.ledger.changes import Change, decision
from svcrules.ledger.clocks import late_ref
from svcrules.ledger.folding import KeyState, Record, Timelines
from svcrules.ledger.model import Key, OutId, order_of
from svcrules.ledger.routing import Routed, route
from svcrules.ledger.scores import ScoreHistory, ScoreView
from svcrules.ledger.store import SqliteStore, write_error
from svcrules.runtime.batch import rejected_id
from svcrules.runtime.derived import DERIVED_EVENTS
from svcrules.runtime.due import period_label
from svcrules.runtime.events import Event, check_envelope, parse_instant
from svcrules.runtime.kpis import KpiValue, kpi_values
from svcrules.runtime.plans import LedgerPlan
from svcrules.runtime.results import (
    Deadline,
    Decision,
    Outcome,
    Rejection,
    Status,
)
from svcrules.runtime.rows import outcome_row
from svcrules.runtime.zones import shared_zone

if TYPE_CHECKING:
    from svcrules.compile import CompiledPack


class Ledger(Timelines):
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
        params: Sequence[Mapping[str, object]],
        *,
        snapshot: Mapping[str, object] | None = None,
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
        self._events: dict[str, Record] = {}
        self._keys: dict[Key, KeyState] = {}
        self._outputs: dict[OutId, Outcome] = {}
        self._carries = {}
        self._known = {}
        self._heap: list[tuple[dt.datetime, Key]] = []  # ties broken by the key itself
        self._watermark: dt.datetime | None = None
        change = Change()
        for name, plan in self._plans.items():
            for sched in plan.schedules.values():
                for subject in sched.subjects or ():
                    key = ("schedule", name, sched.name, subject)
                    self._key(key)
                    self._known[key] = sched.start
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
            events, watermark = snapshot["events"], snapshot.get("watermark")
            # check_snapshot refused any other shape (snapshot.format): events, watermark
            assert isinstance(events, list) and (watermark is None or isinstance(watermark, str))
            self.replay(events, watermark)

    # --- the API ------------------------------------------------------------------------------

    @property
    def watermark(self) -> dt.datetime | None:
        """The latest ``now`` given to ``advance`` (None before the first)."""
        return self._watermark

    def apply(self, event: Mapping[str, object] | Event) -> Decision:
        """Fold ``event`` in at its place in event time; what it changed, including outcomes
        withdrawn (``retracted``). The same event again is a no-op (an empty decision); the
        same id with other content raises ``EventError`` (``event.conflicting-duplicate``)."""
        try:
            return self._apply(event)
        except SvcrulesError:
            raise
        except Exception as exc:  # a bug in svcrules must still reach the caller as its error
            raise internal_error(EventError, "event.internal", "in the ledger", exc) from exc

    def apply_many(self, events: Iterable[object]) -> Iterator[Decision | Rejection]:
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
            return Rejection(event_id=rejected_id(event), index=index, error=exc)

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

    def kpis(self, period: str | None = None, pack: str | None = None) -> tuple[KpiValue, ...]:
        """The packs' KPIs over ``period`` (a label: ``2024-05``, ``2024-Q2``, ``2024``,
        ``2024-W19``, ``2024-05-03``; each KPI whose own period is of that kind), from the
        outcomes that hold now; with ``period`` None, every KPI over every period its outcomes
        touch. ``pack`` keeps one pack's. In pack order, then by period. See docs/kpis.md."""
        plans = [k for name, plan in self._plans.items() if pack in (None, name) for k in plan.kpis]
        return kpi_values(plans, map(outcome_row, self._outputs.values()), period)

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

    def score_history(self, scorecard: str | None = None) -> tuple[ScoreHistory, ...]:
        """Every scorecard period with deductions (of ``scorecard``, or of all): the score after
        each deduction, by pack, scorecard, subject and period."""
        out = []
        for key, state in self._keys.items():
            view = state.view
            if key[0] != "score" or not isinstance(view, ScoreView) or not view.scores:
                continue
            _, pack, name, subject, period = key
            if scorecard is None or name == scorecard:
                points = tuple(zip(view.instants, view.scores, strict=True))
                out.append(
                    ScoreHistory(
                        pack=pack,
                        scorecard=name,
                        subject=subject,
                        period=period,
                        base=view.base,
                        points=points,
                    )
                )
        out.sort(key=lambda h: (h.pack, h.scorecard, h.subject, h.period))
        return tuple(out)

    def snapshot(self) -> JSONObject:
        """The ledger as plain JSON data: format version, packs (name, version, edition, params
        digest), watermark and the accepted events in canonical ``(at, id)`` order."""
        events: list[JSONValue] = list(self.accepted_events())
        return {
            "format": snap.FORMAT,
            "version": snap.VERSION,
            "packs": [dict(p) for p in self._identity],
            "watermark": self._watermark.isoformat() if self._watermark else None,
            "events": events,
        }

    def accepted_events(self) -> list[JSONObject]:
        """Every accepted event in canonical JSON form, in ``(at, id)`` order: what a durable
        store keeps; ``replay`` (or ``Engine.ledger(snapshot=...)``) rebuilds the ledger."""
        records = sorted(
            (r for r in self._events.values() if r.canonical is not None), key=lambda r: r.order
        )
        return [dict(r.canonical) for r in records if r.canonical is not None]

    def replay(
        self, events: Iterable[Mapping[str, object]], watermark: dt.datetime | str | None = None
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
            e["at"] = shared_zone(e["at"])  # held as long as the event: one zone per offset
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
        order = order_of(first["at"], event_id)
        routed = Routed()
        for pack, e, out in views:  # the event's entries share its UTC instant
            route(pack, self._plans[pack], e, out, routed, order[0])
        if self._store is not None:  # written ahead of folding: a crash loses nothing
            at = first["at"].astimezone(dt.UTC).isoformat()
            payload = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
            digest = snap.digest(canonical, first["at"])
            with self._writing():
                self._store.add((event_id, at, digest, payload))
        record = Record(routed.order(order), canonical, routed.flat(), tuple(routed.direct))
        change = Change()
        self._add(record, change)
        for pack, e, _ in views:
            self._seen(pack, e, change)
        self._settle(change)
        return self._decision(change, event_id, etype)

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
