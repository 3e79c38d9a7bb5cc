"""Property: on generated packs and events, the compiled evaluator agrees with the oracle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reference import compiled_outcomes, reference_outcomes

import svcrules

TYPES = ["a.x", "b.y", "c.z"]
FIELDS = {
    "n": {"type": "int", "required": True},
    "m": {"type": "number", "required": True},
    "k": {"type": "enum", "values": ["p", "q", "r"], "required": True},
    "s": {"type": "string", "required": True},
    "t": {"type": "datetime", "required": True},
}
PARAMS = {"table": {"p": 10, "q": 20}, "limit": Decimal("1.5"), "days": 3}

atoms = st.one_of(
    st.integers(-5, 50).map(lambda i: f"n > {i}"),
    st.sampled_from(["p", "q", "r"]).map(lambda v: f'k == "{v}"'),
    st.decimals("-10", "10", places=2).map(lambda d: f"m * {d} <= n"),
    st.just("k in params.table"),
    st.just("m / params.limit >= 2"),
    st.sampled_from(["s == case", "len(s) > 2", "abs(m) < 5", "max(n, 3) == n"]),
    st.just("t > at"),
)


def _combine(parts: Any) -> Any:
    return st.one_of(
        st.tuples(parts, parts).map(lambda ab: f"({ab[0]}) and ({ab[1]})"),
        st.tuples(parts, parts).map(lambda ab: f"({ab[0]}) or ({ab[1]})"),
        parts.map(lambda a: f"not ({a})"),
    )


conditions = st.recursive(atoms, _combine, max_leaves=4)

deadlines = st.one_of(
    st.builds(
        lambda unit, within: {"clock": "c1", "within": within, "unit": unit},
        st.sampled_from(["minutes", "hours", "days", "months", "workdays"]),
        st.one_of(st.integers(0, 40), st.just("params.days"), st.just("n % 7 + 1")),
    ),
    st.builds(
        lambda unit, within: {"clock": "c2", "within": within, "unit": unit, "before": "t"},
        st.sampled_from(["hours", "days", "workdays"]),
        st.integers(0, 10),
    ),
    st.just({"clock": "c1", "action": "stop"}),
)
effects = st.one_of(
    deadlines.map(lambda d: {"deadline": d}),
    st.builds(
        lambda p: {"deduct": {"scorecard": "monthly", "points": p}},
        st.one_of(st.integers(1, 30), st.just("n % 5 + 1")),
    ),
    st.builds(lambda lv: {"escalate": {"to": "boss", "level": lv}}, st.integers(1, 3)),
    conditions.map(
        lambda c: {"check": {"assert": c, "message": "m", "observed": "m", "limit": "params.limit"}}
    ),
)


@st.composite
def packs(draw: st.DrawFn) -> dict[str, Any]:
    n_rules = draw(st.integers(1, 8))
    rules = []
    for i in range(n_rules):
        rule: dict[str, Any] = {
            "id": f"r{i}",
            "on": draw(
                st.one_of(
                    st.sampled_from(TYPES),
                    st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True),
                )
            ),
            "cite": {"doc": "d"},
            "severity": draw(st.sampled_from(["hard", "soft"])),
            **draw(effects),
        }
        if draw(st.booleans()):
            rule["when"] = draw(conditions)
        if draw(st.booleans()):
            rule["editions"] = draw(
                st.lists(st.sampled_from(["e1", "e2"]), min_size=1, max_size=2, unique=True)
            )
        if draw(st.booleans()):
            rule["effective"] = {"from": draw(st.dates(dt.date(2024, 1, 1), dt.date(2025, 6, 1)))}
        rules.append(rule)
    if not any(
        r.get("deadline", {}).get("clock") == "c1" and r["deadline"].get("action") is None
        for r in rules
    ):  # a stop needs a start somewhere
        rules = [r for r in rules if r.get("deadline", {}).get("action") != "stop"] or [
            {"id": "only", "on": "a.x", "cite": {"doc": "d"}, "escalate": {"to": "x", "level": 1}}
        ]
    return {
        "pack": "gen",
        "version": "1",
        "title": "generated",
        "editions": {"e1": {"default": True}, "e2": {}},
        "params": PARAMS,
        "calendars": {"cn": {"base": "CN"}},
        "scorecards": {"monthly": {"base": 100}},
        "events": {t: {"fields": FIELDS} for t in TYPES},
        "rules": rules,
    }


instants = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2025, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
)
events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "at": instants,
        "case": st.sampled_from(["C1", "abc"]),
        "n": st.integers(-10, 60),
        "m": st.decimals("-20", "20", places=2),
        "k": st.sampled_from(["p", "q", "r"]),
        "s": st.sampled_from(["C1", "xy", "abcd"]),
        "t": instants,
    }
)


@settings(max_examples=150, deadline=None)
@given(packs(), st.lists(events, min_size=1, max_size=5), st.sampled_from(["e1", "e2"]))
def test_compiled_equals_reference(
    pack_data: dict[str, Any], evts: list[dict[str, Any]], edition: str
) -> None:
    engine = svcrules.Engine(pack_data, edition=edition)
    pack = engine.packs[0]
    cp = engine.compiled[0]
    for raw in evts:
        e = cp.shapes[raw["type"]].validate(raw)
        try:
            expected: Any = reference_outcomes(pack, pack.spec.params, e)
        except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
            expected = type(exc)
        try:
            got: Any = compiled_outcomes(engine.raw_outcomes(raw)[2])
        except svcrules.EventError:
            got = "error"
        if isinstance(expected, type):
            assert got == "error", (expected, got)
        else:
            assert got == expected
