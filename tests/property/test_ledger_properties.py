"""Ledger properties: state depends on the set of events (and `now`), never on arrival order
or repeats; a snapshot restores a ledger that goes on identically; a clock ends at most once
and a breach is reported once."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ledger_packs import STAFF_PACK

import svcrules
from svcrules import Decision, Engine
from svcrules.ledger.folding import FlatState

GRID = Engine("power-grid")
STAFF = Engine(STAFF_PACK)
T0 = dt.datetime(2024, 5, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _at(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


@st.composite
def grid_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Faults and arrivals, complaints and replies, acceptances and contracts on a few cases."""
    events: list[dict[str, Any]] = []
    for c in range(draw(st.integers(1, 4))):
        case = f"K{c}"
        start = draw(st.integers(0, 600))
        kind = draw(st.sampled_from(["fault", "complaint", "energize"]))
        if kind == "fault":
            area = draw(st.sampled_from(["urban", "rural", "remote"]))
            events.append(
                {
                    "id": f"{case}-f",
                    "type": "fault.reported",
                    "at": _at(start),
                    "case": case,
                    "area": area,
                }
            )
            if draw(st.booleans()):
                events.append(
                    {
                        "id": f"{case}-c",
                        "type": "crew.arrived",
                        "at": _at(start + draw(st.integers(-5, 150))),
                        "case": case,
                    }
                )
        elif kind == "complaint":
            events.append(
                {"id": f"{case}-q", "type": "complaint.received", "at": _at(start), "case": case}
            )
            if draw(st.booleans()):
                events.append(
                    {
                        "id": f"{case}-r",
                        "type": "complaint.replied",
                        "at": _at(start + draw(st.integers(0, 10_000))),
                        "case": case,
                    }
                )
        else:
            cls = draw(st.sampled_from(["residential", "lv_power"]))
            for i, t in enumerate(["acceptance.passed", "contract.signed"]):
                events.append(
                    {
                        "id": f"{case}-e{i}",
                        "type": t,
                        "case": case,
                        "at": _at(start + draw(st.integers(0, 3000))),
                        "customer_class": cls,
                    }
                )
            if draw(st.booleans()):
                events.append(
                    {
                        "id": f"{case}-p",
                        "type": "power.energized",
                        "case": case,
                        "at": _at(start + draw(st.integers(0, 15_000))),
                    }
                )
    return events


@st.composite
def staff_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Violations, refusals and acceptances, complaints and weekly reports of two subjects."""
    kinds = ["violation", "refused", "accepted", "complaint", "report"]
    events = []
    for i in range(draw(st.integers(1, 12))):
        subject = draw(st.sampled_from(["zhang", "li"]))
        kind = draw(st.sampled_from(kinds))
        at = _at(draw(st.integers(0, 60 * 24 * 40)))
        if kind == "violation":
            events.append(
                {
                    "id": f"s{i}",
                    "type": "staff.violation",
                    "at": at,
                    "subject": subject,
                    "points": draw(st.sampled_from([10, 20, 30])),
                }
            )
        elif kind == "complaint":
            events.append(
                {"id": f"s{i}", "type": "complaint.received", "at": at, "subject": subject}
            )
        elif kind == "report":
            events.append(
                {"id": f"s{i}", "type": "report.weekly_submitted", "at": at, "subject": subject}
            )
        else:
            events.append(
                {"id": f"s{i}", "type": f"replacement.{kind}", "at": at, "subject": subject}
            )
    return events


def _net(decisions: list[Decision]) -> Counter[str]:
    held: Counter[str] = Counter()
    for d in decisions:
        held.update(o.to_json() for o in d.outcomes)
        held.subtract(o.to_json() for o in d.retracted)
    assert all(n >= 0 for n in held.values()), "retracted something never reported"
    return +held


def _state(ledger: Any, engine: Engine) -> tuple[Any, ...]:
    scores = ()
    if engine is STAFF:
        scores = tuple(ledger.score(s, "monthly") for s in ("zhang", "li"))
    return (tuple(d.to_json() for d in ledger.deadlines()), scores)


def _run(
    engine: Engine, events: list[dict[str, Any]], now: str, mid: tuple[int, str] | None = None
) -> tuple[Any, Counter[str]]:
    ledger = engine.ledger()
    decisions = []
    for i, event in enumerate(events):
        if mid is not None and i == mid[0]:
            decisions.append(ledger.advance(mid[1]))
        decisions.append(ledger.apply(event))
    decisions.append(ledger.advance(now))
    return _state(ledger, engine), _net(decisions)


def _order_independent(engine: Engine, events: list[dict[str, Any]], data: st.DataObject) -> None:
    last = max(dt.datetime.fromisoformat(e["at"]) for e in events)
    now = (last + dt.timedelta(days=data.draw(st.integers(0, 20)))).isoformat()
    canonical = sorted(events, key=lambda e: (dt.datetime.fromisoformat(e["at"]), e["id"]))
    expected = _run(engine, canonical, now)
    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=4))
    mixed = list(shuffled)
    for r in repeats:
        mixed.insert(data.draw(st.integers(0, len(mixed))), r)
    mid_at = data.draw(st.integers(0, 60 * 24 * 30))
    mid = (data.draw(st.integers(0, len(mixed))), _at(mid_at))
    if dt.datetime.fromisoformat(mid[1]) > dt.datetime.fromisoformat(now):
        mid = (mid[0], now)
    assert _run(engine, mixed, now, mid) == expected


@SETTINGS
@given(grid_events(), st.data())
def test_power_grid_state_and_net_outcomes_ignore_arrival_order_and_repeats(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    _order_independent(GRID, events, data)


@SETTINGS
@given(staff_events(), st.data())
def test_scores_counters_and_schedules_ignore_arrival_order_and_repeats(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    _order_independent(STAFF, events, data)


@SETTINGS
@given(st.sampled_from([GRID, STAFF]), st.data())
def test_a_restored_snapshot_goes_on_like_the_original(engine: Engine, data: st.DataObject) -> None:
    events = data.draw(grid_events() if engine is GRID else staff_events())
    split = data.draw(st.integers(0, len(events)))
    mid = _at(data.draw(st.integers(0, 60 * 24 * 20)))
    now = _at(60 * 24 * 60)
    original = engine.ledger()
    for e in events[:split]:
        original.apply(e)
    original.advance(mid)
    restored = engine.ledger(snapshot=json.loads(json.dumps(original.snapshot())))
    assert _state(restored, engine) == _state(original, engine)
    for e in events[split:]:
        assert _change(original.apply(e)) == _change(restored.apply(e))
    assert _change(original.advance(now)) == _change(restored.advance(now))
    assert _state(restored, engine) == _state(original, engine)
    assert restored.snapshot() == original.snapshot()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([GRID, STAFF]), st.data())
def test_a_reopened_store_equals_a_restored_snapshot(engine: Engine, data: st.DataObject) -> None:
    events = data.draw(grid_events() if engine is GRID else staff_events())
    split = data.draw(st.integers(0, len(events)))
    mid = _at(data.draw(st.integers(0, 60 * 24 * 20)))
    now = _at(60 * 24 * 60)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.sqlite"
        with engine.ledger(store=db) as stored:
            for e in events[:split]:
                stored.apply(e)
            stored.advance(mid)
            state = json.loads(json.dumps(stored.snapshot()))
        restored = engine.ledger(snapshot=state)
        with engine.ledger(store=db) as reopened:
            assert _state(reopened, engine) == _state(restored, engine)
            assert reopened.snapshot() == restored.snapshot()
            for e in events[split:]:
                assert _change(reopened.apply(e)) == _change(restored.apply(e))
            assert _change(reopened.advance(now)) == _change(restored.advance(now))
        with engine.ledger(store=db) as again:
            assert _state(again, engine) == _state(restored, engine)


def _change(d: Decision) -> tuple[Counter[str], Counter[str]]:
    """What a decision reports and what it retracts, whatever the order within it."""
    return Counter(o.to_json() for o in d.outcomes), Counter(o.to_json() for o in d.retracted)


@SETTINGS
@given(grid_events(), st.lists(st.integers(0, 60 * 24 * 30), min_size=1, max_size=6), st.data())
def test_a_clock_ends_at_most_once_and_a_breach_is_reported_once(
    events: list[dict[str, Any]], advances: list[int], data: st.DataObject
) -> None:
    ledger = GRID.ledger()
    steps: list[Any] = [("apply", e) for e in data.draw(st.permutations(events))]
    for minute in sorted(advances):
        steps.insert(data.draw(st.integers(0, len(steps))), ("advance", _at(minute)))
    held: list[Any] = []
    for kind, arg in steps:
        d = ledger.apply(arg) if kind == "apply" else ledger.advance(arg)
        for item in d.retracted:
            held.remove(item)
        held.extend(d.outcomes)
        ends = Counter(
            x.key for x in held if isinstance(x, svcrules.Deadline) and x.status != "open"
        )
        assert all(n <= 1 for n in ends.values()), ends
        breaches = [x for x in d.deadlines if x.status == "breached"]
        assert len({b.key for b in breaches}) == len(breaches)


@SETTINGS
@given(staff_events())
def test_a_one_step_fold_equals_the_full_fold(events: list[dict[str, Any]]) -> None:
    """Entries applied in event-time order fold one step from the state a score or counter key
    carries; what that leaves must equal folding the key's whole timeline again."""
    ledger = STAFF.ledger()
    for e in sorted(events, key=lambda e: (dt.datetime.fromisoformat(e["at"]), e["id"])):
        ledger.apply(e)
    for key, state in ledger._keys.items():
        if key[0] not in ("score", "counter"):
            continue
        full = ledger._fold(key, state)
        assert isinstance(state, FlatState)  # keys other than clocks keep their outputs
        assert list(state.outputs) == [x for pair in full.outputs.items() for x in pair]
        assert dict(state.derived) == full.derived
        if key[0] == "counter":
            assert state.view == full.view
        else:
            got, want = state.view, full.view
            assert (list(got.instants), list(got.scores), got.last) == (
                list(want.instants),
                list(want.scores),
                want.last,
            )
