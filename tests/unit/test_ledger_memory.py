"""Ledger memory per open clock (issue 8): what the compact layout must keep — a clock whose
timeline is one entry still takes a second in its place, a rule's explanations share their
common part without losing their own amount, and an open clock costs under 1 KB."""

from __future__ import annotations

import datetime as dt
import gc
import pickle
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from svcrules import Engine, Ledger
from svcrules.effects.deadline import DeadlineEffect
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.results import Explanation
from svcrules.runtime.values import Cite

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def grid() -> Engine:
    return Engine("power-grid")


def fault(i: int, seconds: int = 0) -> dict[str, Any]:
    at = BASE + dt.timedelta(seconds=seconds)
    return {
        "id": f"f{i}",
        "type": "fault.reported",
        "at": at.isoformat(),
        "case": f"F{i}",
        "area": "urban",
    }


def arrived(i: int, minutes: int) -> dict[str, Any]:
    at = BASE + dt.timedelta(minutes=minutes)
    return {"id": f"c{i}", "type": "crew.arrived", "at": at.isoformat(), "case": f"F{i}"}


def test_a_stop_before_the_start_and_the_start_after_it_fold_as_in_order(grid: Engine) -> None:
    """The arrival alone on the clock's timeline, then the report that opens the clock slots
    in before it: the same clocks as when they come in order."""
    in_order, reversed_ = grid.ledger(), grid.ledger()
    for e in (fault(1), arrived(1, 50)):
        in_order.apply(e)
    for e in (arrived(1, 50), fault(1)):
        reversed_.apply(e)
    assert in_order.deadlines() == reversed_.deadlines()
    assert {d.clock: d.status for d in in_order.deadlines()} == {
        "arrival": "breached",  # 50 minutes for 45
        "dispatch": "open",  # no dispatch event, and no watermark past its due time
    }


def test_a_retracted_breach_leaves_the_clock_as_if_never_breached(grid: Engine) -> None:
    """``advance`` breaches a clock of one entry and derives events; the late arrival withdraws
    them (their entries leave the timelines they were alone on)."""
    ledger, fresh = grid.ledger(), grid.ledger()
    ledger.apply(fault(1))
    breached = ledger.advance(BASE + dt.timedelta(hours=3))
    assert {d.status for d in breached.deadlines} == {"breached"}
    late = ledger.apply(arrived(1, 30))
    assert late.retracted
    for e in (fault(1), arrived(1, 30)):
        fresh.apply(e)
    fresh.advance(BASE + dt.timedelta(hours=3))
    assert ledger.deadlines() == fresh.deadlines()
    assert ledger.kpis() == fresh.kpis()


def effect() -> DeadlineEffect:
    meta = RuleMeta("r", Cite("002_fac772938e6de494", "1", 1), "p", "1", "soft")
    return DeadlineEffect(meta, "c", "hours", ZoneInfo("Asia/Shanghai"), None, None)


def test_explanations_of_one_amount_share_their_arguments_and_keep_their_start() -> None:
    fx = effect()
    a = fx({"id": "a"}, 4, BASE)
    b = fx({"id": "b"}, 4, BASE + dt.timedelta(hours=1))
    assert a.explain._args is b.explain._args  # one tuple for the rule's explanations
    assert (a.explain.start, b.explain.start) == (BASE, BASE + dt.timedelta(hours=1))
    assert b.explain == Explanation(BASE + dt.timedelta(hours=1), "hours", 4)
    assert a.explain != b.explain
    copy = pickle.loads(pickle.dumps(b))
    assert copy == b and copy.explain.to_dict() == b.explain.to_dict()


def test_an_equal_amount_of_another_type_keeps_its_own() -> None:
    """``4`` and ``Decimal("4.0")`` are equal but not written the same: each explanation says
    the amount its own deadline was counted with."""
    fx = effect()
    whole = fx({"id": "a"}, 4, BASE)
    exact = fx({"id": "b"}, Decimal("4.0"), BASE)
    assert type(whole.explain.amount) is int
    assert type(exact.explain.amount) is Decimal
    assert str(exact.explain.amount) == "4.0"


def held_bytes(engine: Engine, n_faults: int) -> int:
    """What a fresh ledger holding ``n_faults`` faults (two open clocks each) allocated."""
    events = [fault(i, seconds=i) for i in range(n_faults)]
    kept: list[Ledger] = []

    def fill() -> None:
        ledger = engine.ledger()
        for e in events:
            ledger.apply(e)
        kept.append(ledger)

    held = traced(fill)
    assert len(kept[0].deadlines(status="open")) == 2 * n_faults
    return held


def traced(run: Callable[[], None]) -> int:
    """Bytes ``run`` allocated and still holds (garbage collected before and after)."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def test_an_open_clock_costs_under_one_kilobyte(grid: Engine) -> None:
    """What one more open clock costs (two sizes, so the ledger's fixed part cancels); the
    benchmark measures the same on 20,000 (benchmarks/README.md, Ledger)."""
    held_bytes(grid, 50)  # warm the pack's caches
    small, large = 2_500, 5_000
    per_clock = (held_bytes(grid, large) - held_bytes(grid, small)) / (2 * (large - small))
    assert per_clock < 1_000, per_clock


def test_instants_in_one_offset_share_their_zone_and_say_the_same(grid: Engine) -> None:
    """The ledger gives every ``+08:00`` instant it holds the same zone object (not one per
    event): the instants, their text and their order are those of the input."""
    ledger = grid.ledger()
    a = ledger.apply(fault(1)).deadlines[0]
    b = ledger.apply(fault(2, seconds=1)).deadlines[0]
    assert a.start.tzinfo is b.start.tzinfo
    assert (a.start.isoformat(), b.start.isoformat()) == (
        "2024-01-01T00:00:00+08:00",
        "2024-01-01T00:00:01+08:00",
    )
    assert a.start == dt.datetime(2023, 12, 31, 16, tzinfo=dt.UTC) < b.start
    assert all(d.start.tzinfo is a.start.tzinfo for d in ledger.deadlines())


def test_an_instant_in_a_zone_is_held_at_its_offset_sharing_the_zone(grid: Engine) -> None:
    """A ``ZoneInfo`` instant is taken at its instant and offset (docs/results.md), and held
    with the one zone object of that offset, like every ``+08:00`` instant."""
    tz = ZoneInfo("Asia/Shanghai")
    given = dt.datetime(2024, 1, 1, tzinfo=tz)
    ledger = grid.ledger()
    (d, *_) = ledger.apply(fault(1) | {"at": given}).deadlines
    (e, *_) = ledger.apply(fault(2, seconds=1)).deadlines
    assert d.start == given and d.start.isoformat() == given.isoformat()
    assert type(d.start.tzinfo) is dt.timezone and d.start.tzinfo is e.start.tzinfo
