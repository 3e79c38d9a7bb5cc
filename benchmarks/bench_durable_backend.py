"""durable_rules backend beside the compiled evaluator: the power-grid pack, same events, same work.

Run with ``python benchmarks/bench_durable_backend.py``. Both editions of power-grid without its
five voltage checks (the rules the backend refuses: ``omit``), so both sides hold exactly the same
rules. 4,000 raw events from a fixed seed over every event type those rules answer; each side
takes the raw event and returns the ``Decision`` (validation, matching, due times and
explanations), and before timing every ``Decision`` of one side must equal the other's. Median of
5 rounds, µs per event:

1. ``Engine.evaluate`` (the compiled evaluator, ``DurableEngine.engine``);
2. ``DurableEngine.evaluate`` (matching in durable_rules, effects from svcrules' runtime);
3. the backend's durable_rules share alone: its ``post_batch`` of the same events' messages, no
   validation and no outcomes, to show where the time goes.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from _common import QUICK, ROUNDS, info_line, machine, per_item_us, print_table, scaled
from svcrules.pack import load_pack

N_EVENTS = scaled(4_000, 200)
SEED = 20261130


def make_events(n: int, edition_types: list[str]) -> list[dict[str, Any]]:
    pack = load_pack("power-grid")
    rng = random.Random(SEED)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    events = []
    for i in range(n):
        etype = rng.choice(edition_types)
        at = base + dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        ev: dict[str, Any] = {
            "id": f"ev-{i}",
            "type": etype,
            "at": at.isoformat(),
            "case": f"C-{rng.randrange(5000):05d}",
        }
        for name, f in pack.spec.events[etype].fields.items():
            if f.type == "enum" and f.values:
                ev[name] = rng.choice(list(f.values))
            elif f.type == "datetime":
                ev[name] = (at + dt.timedelta(days=rng.randrange(1, 20))).isoformat()
            elif f.required:  # anything else the vocabulary requires: a plain value of its type
                ev[name] = {
                    "int": rng.randrange(0, 10),
                    "number": str(rng.randrange(0, 1000)),
                    "bool": rng.random() < 0.5,
                    "date": (at.date() + dt.timedelta(days=rng.randrange(0, 20))).isoformat(),
                    "list": [],
                }.get(f.type, f"x{rng.randrange(100)}")
        events.append(ev)
    return events


def _refused(durable_engine: Any, edition: str) -> tuple[str, ...]:
    """The rules the backend refuses (checks whose assertion needs exact arithmetic or helpers):
    both sides leave them out, so the comparison is of equal work."""
    from svcrules import PackError

    try:
        durable_engine("power-grid", edition=edition)
    except PackError as exc:
        return tuple(d.rule for d in exc.diagnostics if d.rule is not None)
    return ()


def main() -> None:
    try:
        from svcrules.backends.durable import DurableEngine

        DurableEngine("power-grid", omit=_refused(DurableEngine, "ten-commitments"))
    except ImportError as exc:
        print(machine())
        print(f"RATIO durable backend/compiled evaluate skipped: {exc}")
        return
    print(machine())
    print(
        f"{N_EVENTS} events per edition, median of {ROUNDS} rounds" + (" (QUICK)" if QUICK else "")
    )
    ratios = []
    for edition in ("ten-commitments", "sgcc-2003"):
        backend = DurableEngine(
            "power-grid", edition=edition, omit=_refused(DurableEngine, edition)
        )
        engine = backend.engine
        types = sorted(t for t, ks in backend._dispatch.items() if ks[0][1].candidates.get(t))
        events = make_events(N_EVENTS, types)
        compiled_out = [engine.evaluate(ev) for ev in events]
        durable_out = [backend.evaluate(ev) for ev in events]
        assert compiled_out == durable_out, "the backend decided differently"
        with_outcomes = sum(
            bool(d.deadlines or d.signals or d.violations or d.deductions or d.escalations)
            for d in compiled_out
        )
        assert with_outcomes >= 0.5 * len(events), with_outcomes  # real work on most events

        # the durable_rules share: the same messages the backend posts, prepared in advance
        runner = next(iter(backend._dispatch.values()))[0][1]
        shapes = engine.compiled[0].shapes
        batches = []
        for ev in events:
            e = shapes[ev["type"]].validate(ev)
            fields = {key: enc(e) for key, enc in runner.encoders[ev["type"]]}
            batches.append([{"r": k, **fields} for k in runner.candidates[ev["type"]]])

        def post_only(_: Any, runner: Any = runner, batches: Any = batches) -> None:
            for batch in batches:
                runner.host.post_batch(runner.name, [dict(m, id=next(runner.ids)) for m in batch])
            runner.verdicts.clear()

        def run_compiled(_: Any, engine: Any = engine, events: Any = events) -> None:
            evaluate = engine.evaluate
            for ev in events:
                evaluate(ev)

        def run_durable(_: Any, backend: Any = backend, events: Any = events) -> None:
            evaluate = backend.evaluate
            for ev in events:
                evaluate(ev)

        n = len(events)
        compiled = per_item_us(run_compiled, n)
        durable = per_item_us(run_durable, n)
        posting = per_item_us(post_only, n)
        print_table(
            f"power-grid [{edition}], {len(types)} event types, µs per event:",
            [
                ("1. Engine.evaluate (compiled)", compiled, ""),
                ("2. DurableEngine.evaluate (same Decisions)", durable, ""),
                ("3. durable_rules post_batch alone", posting, "no validation, no outcomes"),
            ],
            "us",
        )
        ratios.append((edition, durable / compiled, posting / durable))
    for edition, ratio, share in ratios:
        info_line(f"durable backend/compiled evaluate [{edition}]", ratio)
        info_line(f"durable_rules post share of the backend [{edition}]", share)


if __name__ == "__main__":
    main()
