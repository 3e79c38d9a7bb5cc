"""Rule-matching benchmark (target 1): the 12-rule decision of shared/design/performance.md.

Run with ``python benchmarks/bench_rule_matching.py``. Four event types × three values of one
enum attribute decide which of 12 rules applies; each starts a deadline in minutes with its own
target. 20,000 events from a fixed seed; every approach runs in this process on the same events,
median of 5 rounds, time per event:

1. the compiled handlers on pre-validated events (the rule-matching cost);
2. a hand-written if/elif over the same pre-validated dicts calling the same effect objects the
   compiled pack bound (same ``Deadline`` objects), and a variant returning (rule, minutes) tuples;
3. a naive loop over a rule table (every rule checked, as an engine must);
4. full ``Engine.evaluate(raw)`` against a hand-written function doing the same work from the raw
   event (parse ``at``, check the enum, build the ``Deadline`` through the same effect);
5. durable_rules (``post``) and rule-engine (one ``Rule`` per rule, ``matches``), if importable.

Before timing, every approach must pick the same rule for every event.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from _common import (
    QUICK,
    ROUNDS,
    info_line,
    machine,
    per_item_us,
    print_table,
    ratio_line,
    scaled,
)
from svcrules import Engine
from svcrules.effects.deadline import DeadlineEffect
from svcrules.runtime import Deadline

TYPES = ("a.x", "b.x", "c.x", "d.x")
KINDS = ("a", "b", "c")
# (type, kind) -> (rule id, minutes): every rule has its own target.
RULES: dict[tuple[str, str], tuple[str, int]] = {
    (t, k): (f"{t[0]}-{k}", 15 + 5 * i) for i, (t, k) in enumerate(itertools.product(TYPES, KINDS))
}
N_EVENTS = scaled(20_000, 600)
SEED = 20261123


def pack_mapping() -> dict[str, Any]:
    return {
        "pack": "bench-twelve",
        "version": "1.0",
        "title": "12-rule decision: event type plus one attribute",
        "timezone": "Asia/Shanghai",
        "sources": {"bench": {"title": "Benchmark table"}},
        "events": {
            t: {
                "fields": {
                    "case": {"type": "string"},
                    "kind": {"type": "enum", "values": list(KINDS), "required": True},
                }
            }
            for t in TYPES
        },
        "rules": [
            {
                "id": rid,
                "on": t,
                "when": f'kind == "{k}"',
                "cite": {"doc": "bench"},
                "deadline": {"clock": "reply", "within": minutes, "unit": "minutes"},
            }
            for (t, k), (rid, minutes) in RULES.items()
        ],
    }


def make_events(n: int) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    events = []
    for i in range(n):
        at = base + dt.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        events.append(
            {
                "id": f"ev-{i}",
                "type": rng.choice(TYPES),
                "at": at.isoformat(),
                "case": f"C-{rng.randrange(5000):05d}",
                "kind": rng.choice(KINDS),
            }
        )
    return events


# --- the hand-written side --------------------------------------------------------------------
# The effect objects of the compiled pack, bound in main(): the same callables the generated code
# calls, so both sides build identical Deadline objects.
A_A = A_B = A_C = B_A = B_B = B_C = C_A = C_B = C_C = D_A = D_B = D_C = None


def hand_written(t: str, e: dict[str, Any], out: list[Any]) -> None:
    """If/elif on the pre-validated event; the same effects as the compiled pack."""
    k = e["kind"]
    if t == "a.x":
        if k == "a":
            out.append(A_A(e, 15, e["at"], None))
        elif k == "b":
            out.append(A_B(e, 20, e["at"], None))
        elif k == "c":
            out.append(A_C(e, 25, e["at"], None))
    elif t == "b.x":
        if k == "a":
            out.append(B_A(e, 30, e["at"], None))
        elif k == "b":
            out.append(B_B(e, 35, e["at"], None))
        elif k == "c":
            out.append(B_C(e, 40, e["at"], None))
    elif t == "c.x":
        if k == "a":
            out.append(C_A(e, 45, e["at"], None))
        elif k == "b":
            out.append(C_B(e, 50, e["at"], None))
        elif k == "c":
            out.append(C_C(e, 55, e["at"], None))
    elif t == "d.x":
        if k == "a":
            out.append(D_A(e, 60, e["at"], None))
        elif k == "b":
            out.append(D_B(e, 65, e["at"], None))
        elif k == "c":
            out.append(D_C(e, 70, e["at"], None))


def hand_tuples(t: str, e: dict[str, Any], out: list[Any]) -> None:
    """The same decision, returning (rule id, minutes): matching without building a result."""
    k = e["kind"]
    if t == "a.x":
        if k == "a":
            out.append(("a-a", 15))
        elif k == "b":
            out.append(("a-b", 20))
        elif k == "c":
            out.append(("a-c", 25))
    elif t == "b.x":
        if k == "a":
            out.append(("b-a", 30))
        elif k == "b":
            out.append(("b-b", 35))
        elif k == "c":
            out.append(("b-c", 40))
    elif t == "c.x":
        if k == "a":
            out.append(("c-a", 45))
        elif k == "b":
            out.append(("c-b", 50))
        elif k == "c":
            out.append(("c-c", 55))
    elif t == "d.x":
        if k == "a":
            out.append(("d-a", 60))
        elif k == "b":
            out.append(("d-b", 65))
        elif k == "c":
            out.append(("d-c", 70))


TABLE = [(t, k, rid, minutes) for (t, k), (rid, minutes) in RULES.items()]


def naive_table(t: str, e: dict[str, Any], out: list[Any]) -> None:
    """Every rule of the table checked one by one (several rules may match in general)."""
    k = e["kind"]
    for rt, rk, rid, minutes in TABLE:
        if rt == t and rk == k:
            out.append((rid, minutes))


_KIND_VALUES = frozenset(KINDS)
_EFFECTS: dict[tuple[str, str], tuple[Any, int]] = {}


def hand_full(raw: dict[str, Any]) -> list[Deadline]:
    """From the raw event: parse `at`, check the enum, build the Deadline via the same effect."""
    at = dt.datetime.fromisoformat(raw["at"])
    if at.tzinfo is None:
        raise ValueError("naive time")
    k = raw["kind"]
    if k not in _KIND_VALUES:
        raise ValueError(f"bad kind {k!r}")
    e = {"id": raw.get("id"), "type": raw["type"], "at": at, "case": raw.get("case"), "kind": k}
    t = raw["type"]
    if t == "a.x":
        if k == "a":
            return [A_A(e, 15, at, None)]
        if k == "b":
            return [A_B(e, 20, at, None)]
        return [A_C(e, 25, at, None)]
    if t == "b.x":
        if k == "a":
            return [B_A(e, 30, at, None)]
        if k == "b":
            return [B_B(e, 35, at, None)]
        return [B_C(e, 40, at, None)]
    if t == "c.x":
        if k == "a":
            return [C_A(e, 45, at, None)]
        if k == "b":
            return [C_B(e, 50, at, None)]
        return [C_C(e, 55, at, None)]
    if t == "d.x":
        if k == "a":
            return [D_A(e, 60, at, None)]
        if k == "b":
            return [D_B(e, 65, at, None)]
        return [D_C(e, 70, at, None)]
    raise ValueError(f"unknown type {t!r}")


def bind_effects(engine: Engine) -> None:
    """Fetch each rule's DeadlineEffect from the generated functions' globals and bind it here."""
    cp = engine.compiled[0]
    by_rule: dict[str, DeadlineEffect] = {}
    for handler in cp.handlers.values():
        for value in handler.__globals__.values():
            if isinstance(value, DeadlineEffect):
                by_rule[value.meta.rule] = value
    assert sorted(by_rule) == sorted(rid for rid, _ in RULES.values()), sorted(by_rule)
    for (t, k), (rid, _minutes) in RULES.items():
        globals()[f"{t[0].upper()}_{k.upper()}"] = by_rule[rid]


# --- peers -----------------------------------------------------------------------------------


def durable_runner(events: list[dict[str, Any]]) -> tuple[Any, Any, str | None]:
    """(setup, run, reason skipped): each round posts to a fresh ruleset, new message ids."""
    try:
        from durable.lang import m, post, ruleset, when_all
    except Exception as exc:  # not installed, or its C core failed to load
        return None, None, f"{type(exc).__name__}: {exc}"
    serial = itertools.count()

    def setup() -> tuple[str, list[dict[str, Any]], list[str]]:
        name = f"bench_twelve_{next(serial)}"
        hits: list[str] = []

        def action(rid: str) -> Any:
            def act(c: Any) -> None:  # one parameter: durable then runs it synchronously
                hits.append(rid)

            return act

        with ruleset(name):
            for (t, k), (rid, _minutes) in RULES.items():
                when_all((m.type == t) & (m.kind == k))(action(rid))
        messages = [{"id": ev["id"], "type": ev["type"], "kind": ev["kind"]} for ev in events]
        return name, messages, hits

    def run(arg: tuple[str, list[dict[str, Any]], list[str]]) -> list[str]:
        name, messages, hits = arg
        for msg in messages:
            post(name, msg)
        return hits

    return setup, run, None


def rule_engine_rules() -> tuple[list[tuple[Any, str]] | None, str | None]:
    try:
        import rule_engine
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return [
        (rule_engine.Rule(f'type == "{t}" and kind == "{k}"'), rid)
        for (t, k), (rid, _minutes) in RULES.items()
    ], None


def main() -> None:
    engine = Engine(pack_mapping())
    cp = engine.compiled[0]
    bind_effects(engine)
    events = make_events(N_EVENTS)
    pre = [(ev["type"], cp.shapes[ev["type"]].validate(ev)) for ev in events]
    handlers = dict(cp.handlers)
    expected = [RULES[(ev["type"], ev["kind"])] for ev in events]
    expected_ids = [rid for rid, _ in expected]

    # --- correctness before timing: every approach picks the same rule for every event
    compiled_out: list[Any] = []
    for t, e in pre:
        handlers[t](e, compiled_out)
    hand_out: list[Any] = []
    for t, e in pre:
        hand_written(t, e, hand_out)
    assert [d.rule for d in compiled_out] == expected_ids
    assert hand_out == compiled_out  # identical Deadline objects, explanations included
    for d, (_rid, minutes) in zip(compiled_out, expected, strict=True):
        assert d.due - d.start == dt.timedelta(minutes=minutes)
    for fn in (hand_tuples, naive_table):
        got: list[Any] = []
        for t, e in pre:
            fn(t, e, got)
        assert got == expected, fn.__name__
    full = [engine.evaluate(ev) for ev in events]
    assert [d.deadlines for d in full] == [tuple(hand_full(ev)) for ev in events]
    assert all(len(d.deadlines) == 1 for d in full)

    d_setup, d_run, d_skip = durable_runner(events)
    if d_setup is not None:
        assert d_run(d_setup()) == expected_ids, "durable_rules picked other rules"
    re_rules, re_skip = rule_engine_rules()
    if re_rules is not None:
        got_ids = [rid for ev in events for rule, rid in re_rules if rule.matches(ev)]
        assert got_ids == expected_ids, "rule-engine picked other rules"

    # --- timing
    def loop(fn: Any) -> Any:
        def run(_: Any) -> None:
            out: list[Any] = []
            for t, e in pre:
                fn(t, e, out)

        return run

    def compiled_run(_: Any) -> None:
        out: list[Any] = []
        for t, e in pre:
            handlers[t](e, out)

    def evaluate_run(_: Any) -> None:
        evaluate = engine.evaluate
        for ev in events:
            evaluate(ev)

    def hand_full_run(_: Any) -> None:
        for ev in events:
            hand_full(ev)

    def rule_engine_run(_: Any) -> None:
        assert re_rules is not None
        out = []
        for ev in events:
            for rule, rid in re_rules:
                if rule.matches(ev):
                    out.append(rid)

    n = len(events)
    us: dict[str, float | None] = {
        "compiled": per_item_us(compiled_run, n),
        "hand": per_item_us(loop(hand_written), n),
        "tuples": per_item_us(loop(hand_tuples), n),
        "naive": per_item_us(loop(naive_table), n),
        "evaluate": per_item_us(evaluate_run, n),
        "hand_full": per_item_us(hand_full_run, n),
        "durable": per_item_us(d_run, n, setup=d_setup) if d_setup is not None else None,
        "rule_engine": per_item_us(rule_engine_run, n) if re_rules is not None else None,
    }

    print(machine())
    print(f"{n} events, 12 rules, median of {ROUNDS} rounds" + (" (QUICK)" if QUICK else ""))
    print_table(
        "Per event:",
        [
            ("1. compiled handlers, pre-validated events", us["compiled"], ""),
            ("2. hand-written if/elif, same effects", us["hand"], ""),
            ("2b. hand-written if/elif, (rule, minutes) tuples", us["tuples"], ""),
            ("3. naive loop over a rule table, tuples", us["naive"], ""),
            ("4. Engine.evaluate(raw)", us["evaluate"], ""),
            ("4b. hand-written from raw (parse, check, effect)", us["hand_full"], ""),
            ("5. durable_rules post", us["durable"], f"skipped: {d_skip}" if d_skip else ""),
            ("5b. rule-engine Rule.matches × 12", us["rule_engine"], re_skip or ""),
        ],
        "us",
    )
    compiled, hand, evaluate = us["compiled"], us["hand"], us["evaluate"]
    assert compiled is not None and hand is not None and evaluate is not None
    assert us["tuples"] is not None and us["naive"] is not None and us["hand_full"] is not None
    ratio_line("compiled/hand-written (matching, same effects)", compiled / hand, "<= 2")
    ratio_line("evaluate/hand-written-from-raw (full path)", evaluate / us["hand_full"], "<= 2")
    info_line("hand-written effects/tuples (cost of building a Deadline)", hand / us["tuples"])
    info_line("naive table/hand-written tuples", us["naive"] / us["tuples"])
    if us["durable"] is not None:
        ratio_line("durable_rules/compiled", us["durable"] / compiled, ">= 50")
        ratio_line("durable_rules/evaluate", us["durable"] / evaluate, ">= 50")
    else:
        print(f"RATIO durable_rules/compiled skipped: {d_skip}")
    if us["rule_engine"] is not None:
        info_line("rule-engine/compiled", us["rule_engine"] / compiled)
        info_line("rule-engine/evaluate", us["rule_engine"] / evaluate)
    else:
        print(f"RATIO rule-engine skipped: {re_skip}")


if __name__ == "__main__":
    main()
