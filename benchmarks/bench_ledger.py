"""Ledger benchmark (target 4): ``Ledger.apply`` throughput, memory per open clock, and the cost
of one late event against the ledger's size.

Run with ``python benchmarks/bench_ledger.py``. Three scenarios, all on the power-grid pack
(default edition, ten-commitments), in this process:

A. **Throughput.** A mixed stream of 1,000,000 events over 100,000 cases (quick mode: 3,000
   over 300), from a fixed seed, in feed order with about 2 % arriving late (up to a few hours
   behind): per case a fault report (dispatch and arrival clocks) and usually the crew's
   arrival, or an application, its plan, acceptance / contract (``starts: all``) and
   energising, or a complaint and its reply; plus voltage readings (no case), about one in
   six events. ``Ledger.apply`` on a fresh ledger against stateless ``Engine.evaluate`` on the
   same events; the aim is apply at one third of evaluate's throughput or better
   (``apply/evaluate`` time ≤ 3).
B. **Memory per open clock.** ``tracemalloc`` over a ledger holding 20,000 open arrival and
   dispatch clocks (10,000 fault reports); everything the ledger holds is charged to the
   clocks: event records, timelines, folds, heap entries. Aim: under 1 KB.
C. **Late event.** The cost of one late ``crew.arrived`` (it retracts a breach reported by
   ``advance``) in a ledger of N cases, for two N (10,000 and 100,000; quick: 500 and 5,000),
   median over 300 late events on distinct cases. Aim: independent of N (ratio ≤ 1.5).
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import statistics
import time
import tracemalloc
from typing import Any

from _common import QUICK, ROUNDS, machine, print_table, ratio_line, scaled
from svcrules import Engine

N_EVENTS = scaled(1_000_000, 3_000)
N_CASES = scaled(100_000, 300)
SEED = 20261130
TZ = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2024, 1, 1, tzinfo=TZ)
AREAS = ("urban", "rural", "remote", "extra_remote")
CLASSES = ("residential", "lv_power", "hv_single_source", "hv_dual_source")


def _case_events(rng: random.Random, case: str, at: dt.datetime) -> list[tuple[dt.datetime, dict]]:
    kind = rng.random()
    out: list[tuple[dt.datetime, dict[str, Any]]] = []
    if kind < 0.6:
        out.append((at, {"type": "fault.reported", "case": case, "area": rng.choice(AREAS)}))
        if rng.random() < 0.9:
            out.append(
                (
                    at + dt.timedelta(minutes=rng.randrange(5, 150)),
                    {"type": "crew.arrived", "case": case},
                )
            )
    elif kind < 0.8:
        cls = rng.choice(CLASSES)
        out.append((at, {"type": "application.accepted", "case": case, "customer_class": cls}))
        out.append(
            (at + dt.timedelta(days=rng.randrange(1, 12)), {"type": "plan.issued", "case": case})
        )
        for t in ("acceptance.passed", "contract.signed"):
            out.append(
                (
                    at + dt.timedelta(days=rng.randrange(12, 30)),
                    {"type": t, "case": case, "customer_class": cls},
                )
            )
        out.append(
            (
                at + dt.timedelta(days=rng.randrange(30, 40)),
                {"type": "power.energized", "case": case},
            )
        )
    else:
        out.append((at, {"type": "complaint.received", "case": case}))
        if rng.random() < 0.8:
            out.append(
                (
                    at + dt.timedelta(days=rng.randrange(0, 8)),
                    {"type": "complaint.replied", "case": case},
                )
            )
    return out


def make_stream(n_events: int, n_cases: int, seed: int = SEED) -> list[dict[str, Any]]:
    """About ``n_events`` events over ``n_cases`` cases spread over a year, in feed order."""
    rng = random.Random(seed)
    span = 365 * 24 * 60
    timed: list[tuple[dt.datetime, dict[str, Any]]] = []
    for i in range(n_cases):
        at = BASE + dt.timedelta(minutes=rng.randrange(span))
        timed.extend(_case_events(rng, f"K-{i:06d}", at))
    while len(timed) < n_events:  # voltage readings fill the rest
        at = BASE + dt.timedelta(minutes=rng.randrange(span))
        nominal = rng.choice((220, 380, 10000))
        v = round(nominal * rng.uniform(0.88, 1.1), 1)
        timed.append(
            (
                at,
                {
                    "type": "voltage.measured",
                    "nominal_v": nominal,
                    "phases": 1 if nominal == 220 else 3,
                    "v": v,
                },
            )
        )
    timed = timed[:n_events]
    arrival = [
        (
            at
            + (
                dt.timedelta(minutes=rng.randrange(1, 240))
                if rng.random() < 0.02
                else dt.timedelta(0)
            ),
            at,
            ev,
        )
        for at, ev in timed
    ]
    arrival.sort(key=lambda x: x[0])
    return [{"id": f"e{i}", "at": at.isoformat(), **ev} for i, (_, at, ev) in enumerate(arrival)]


def throughput(engine: Engine, events: list[dict[str, Any]]) -> tuple[float, float]:
    """Median µs per event of evaluate and of apply (a fresh ledger per round)."""
    rounds = ROUNDS if len(events) <= 200_000 else 1
    ev_times, ap_times = [], []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        t = time.perf_counter()
        evaluate = engine.evaluate
        for e in events:
            evaluate(e)
        ev_times.append(time.perf_counter() - t)
        ledger = engine.ledger()
        t = time.perf_counter()
        apply = ledger.apply
        for e in events:
            apply(e)
        ap_times.append(time.perf_counter() - t)
        gc.enable()
        del ledger
    n = len(events)
    return statistics.median(ev_times) / n * 1e6, statistics.median(ap_times) / n * 1e6


def open_clock_bytes(engine: Engine, n_faults: int) -> tuple[float, int]:
    events = [
        {
            "id": f"f{i}",
            "type": "fault.reported",
            "at": (BASE + dt.timedelta(seconds=i)).isoformat(),
            "case": f"F{i}",
            "area": "urban",
        }
        for i in range(n_faults)
    ]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ledger = engine.ledger()
    for e in events:
        ledger.apply(e)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    clocks = len(ledger.deadlines(status="open"))
    assert clocks == 2 * n_faults, clocks
    return (after - before) / clocks, clocks


def late_event_us(engine: Engine, n_cases: int, n_late: int = 300) -> float:
    """Median µs of one late crew.arrived in a ledger of ``n_cases`` breached arrival clocks."""
    ledger = engine.ledger()
    for i in range(n_cases):
        at = BASE + dt.timedelta(seconds=30 * i)
        ledger.apply(
            {
                "id": f"f{i}",
                "type": "fault.reported",
                "at": at.isoformat(),
                "case": f"F{i}",
                "area": "urban",
            }
        )
    ledger.advance(BASE + dt.timedelta(seconds=30 * n_cases, hours=3))
    rng = random.Random(SEED)
    times = []
    for i in rng.sample(range(n_cases), n_late):
        arrived = BASE + dt.timedelta(seconds=30 * i, minutes=40)
        e = {"id": f"c{i}", "type": "crew.arrived", "at": arrived.isoformat(), "case": f"F{i}"}
        t = time.perf_counter()
        d = ledger.apply(e)
        times.append(time.perf_counter() - t)
        assert d.retracted, d  # the breach reported by advance is withdrawn
    return statistics.median(times) * 1e6


def main() -> None:
    engine = Engine("power-grid")
    events = make_stream(N_EVENTS, N_CASES)
    # correctness before timing: the feed order and the reverse order end in the same state
    head = events[:3000]
    forward, backward = engine.ledger(), engine.ledger()
    for e in head:
        forward.apply(e)
    for e in reversed(head):
        backward.apply(e)
    assert forward.deadlines() == backward.deadlines()
    assert {d.status for d in forward.deadlines()} >= {"met", "breached"}
    us_eval, us_apply = throughput(engine, events)
    per_clock, clocks = open_clock_bytes(engine, scaled(10_000, 500))
    small, large = scaled(10_000, 500), scaled(100_000, 5_000)
    late_small, late_large = late_event_us(engine, small), late_event_us(engine, large)

    print(machine())
    print(
        f"A. {len(events)} events over {N_CASES} cases; power-grid {engine.compiled[0].version} "
        f"edition {engine.compiled[0].edition}" + (" (QUICK)" if QUICK else "")
    )
    print_table(
        "Per event:",
        [
            ("Engine.evaluate (stateless)", us_eval, ""),
            ("Ledger.apply (fresh ledger)", us_apply, ""),
            (f"C. one late event, {small} cases", late_small, ""),
            (f"C. one late event, {large} cases", late_large, ""),
        ],
        "us",
    )
    print(f"B. {per_clock:.0f} bytes per open clock ({clocks} open clocks, tracemalloc)")
    ratio_line("apply/evaluate (time per event)", us_apply / us_eval, "<= 3")
    ratio_line("bytes per open clock/1024", per_clock / 1024, "<= 1")
    ratio_line(f"late event cost({large})/cost({small})", late_large / late_small, "<= 1.5")


if __name__ == "__main__":
    main()
