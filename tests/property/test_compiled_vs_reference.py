"""Property: on generated packs and events, the compiled evaluator agrees with the oracle.

The generated packs cover what the engine has to get right beyond expressions: 0 to 3 calendars
(with or without one called ``default``, extra days, cut-offs, opening hours, other zones),
``calendar:`` references to declared names and the built-in ``CN``, every deadline unit
including ``business_hours`` and ``before``, param overrides, editions, ``effective`` ranges, and
event types whose names flatten alike. Raw events are sometimes malformed, so the oracle's own
validation is compared with the engine's too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.reference import (
    OracleEventError,
    compiled_outcomes,
    merge_params,
    reference_outcomes,
    validate_event,
)

import svcrules

TYPES = ["a.x", "b.y", "c.z"]
# COLLIDING: event types whose generated function names collide once dots become underscores
# (`on_a_b_c`, `on_a_b_c_2`, and `a.b_c` renamed to `on_a_b_c_2` too, so `a.b.c_2` events ran
# the rules of `a.b_c`). A known compiler bug being fixed on another branch: this part of the
# generator, and the explicit example COLLISION below, stay on so the property checks it.
COLLIDING = ["a.b.c", "a.b.c_2", "a.b_c"]
FIELDS: dict[str, Any] = {
    "n": {"type": "int", "required": True},
    "m": {"type": "number", "required": True},
    "k": {"type": "enum", "values": ["p", "q", "r"], "required": True},
    "s": {"type": "string", "required": True},
    "t": {"type": "datetime", "required": True},
    "o": {"type": "int", "default": 5},
    "f": {"type": "bool"},
    "d": {"type": "date"},
    "w": {"type": "number", "default": 2.5},
}
PARAMS: dict[str, Any] = {
    "table": {"p": 10, "q": 20},
    "limit": Decimal("1.5"),
    "days": 3,
    "hours": Decimal("1.5"),
}
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]
CAL_NAMES = ["default", "cn", "office", "west"]
HOURS: list[Any] = [
    None,
    "09:00-12:00,13:00-17:00",
    "08:30-17:30",
    "00:00-24:00",
    "22:00-24:00,00:00-02:30",
    "01:30-03:30",  # crosses the European and American DST changes
    {"mon-fri": "09:00-17:00", "sat": "09:00-12:00"},
    {"mon": "08:00-12:00", "default": "10:00-16:00"},
]
# Calendar units come up more often: they are where the engine and the oracle differ most.
UNITS = ["minutes", "hours", "days", "months", "workdays", "business_hours"]
UNITS += ["workdays", "business_hours"] * 2
# One busy half-year: National Day and Spring Festival with their make-up days, New Year, the
# European and American clock changes of autumn 2024 and spring 2025.
FIRST, LAST = dt.date(2024, 9, 20), dt.date(2025, 4, 10)
DAYS = st.dates(FIRST, LAST)

atoms = st.one_of(
    st.integers(-5, 50).map(lambda i: f"n > {i}"),
    st.sampled_from(["p", "q", "r"]).map(lambda v: f'k == "{v}"'),
    st.decimals("-10", "10", places=2).map(lambda d: f"m * {d} <= n"),
    st.just("k in params.table"),
    st.just("m / params.limit >= 2"),
    st.sampled_from(["s == case", "len(s) > 2", "abs(m) < 5", "max(n, 3) == n", "o > 4"]),
    st.just("t > at"),
)


def _combine(parts: Any) -> Any:
    return st.one_of(
        st.tuples(parts, parts).map(lambda ab: f"({ab[0]}) and ({ab[1]})"),
        st.tuples(parts, parts).map(lambda ab: f"({ab[0]}) or ({ab[1]})"),
        parts.map(lambda a: f"not ({a})"),
    )


conditions = st.recursive(atoms, _combine, max_leaves=4)


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    """0 to 3 calendars, sometimes one called ``default``."""
    count = draw(st.integers(0, 3))
    names = draw(st.lists(st.sampled_from(CAL_NAMES), min_size=count, max_size=count, unique=True))
    out: dict[str, Any] = {}
    for name in names:
        cal: dict[str, Any] = {"base": draw(st.sampled_from(["CN", "CN", "DE"]))}
        if draw(st.booleans()):
            cal["timezone"] = draw(st.sampled_from(ZONES))
        offs = draw(st.lists(DAYS, max_size=4, unique=True))
        ons = [d for d in draw(st.lists(DAYS, max_size=3, unique=True)) if d not in offs]
        if offs:
            cal["extra_holidays"] = offs
        if ons:
            cal["extra_workdays"] = ons
        hours = draw(st.sampled_from(HOURS))
        if hours is not None:
            cal["hours"] = hours
        if draw(st.booleans()):
            cal["cutoff"] = draw(st.sampled_from(["17:00", "09:30", "00:00", "23:59"]))
        out[name] = cal
    return out


def deadlines(cal_names: list[str]) -> Any:
    refs = st.one_of(st.none(), st.just("CN"), st.sampled_from(cal_names or ["CN"]))
    within = st.one_of(
        st.integers(0, 40),
        st.just("params.days"),
        st.just("n % 7 + 1"),
        st.just("o"),
    )
    return st.one_of(
        st.builds(
            lambda unit, within, cal, start: {
                "clock": "c1",
                "within": within,
                "unit": unit,
                **({"calendar": cal} if cal else {}),
                **({"start": start} if start else {}),
            },
            st.sampled_from(UNITS),
            within,
            refs,
            st.sampled_from([None, None, "t"]),
        ),
        st.builds(
            lambda unit, within, cal: {
                "clock": "c2",
                "within": within,
                "unit": unit,
                "before": "t",
                **({"calendar": cal} if cal else {}),
            },
            st.sampled_from(["minutes", "hours", "days", "months", "workdays"]),
            st.integers(0, 10),
            refs,
        ),
        st.builds(
            lambda unit, cal: {
                "clock": "c3",
                "within": "params.hours",
                "unit": unit,
                **({"calendar": cal} if cal else {}),
            },
            st.sampled_from(["minutes", "hours", "business_hours", "days"]),
            refs,
        ),
        st.just({"clock": "c1", "action": "stop"}),
    )


def effects(cal_names: list[str]) -> Any:
    return st.one_of(
        deadlines(cal_names).map(lambda d: {"deadline": d}),
        deadlines(cal_names).map(lambda d: {"deadline": d}),
        deadlines(cal_names).map(lambda d: {"deadline": d}),
        st.builds(
            lambda p: {"deduct": {"scorecard": "monthly", "points": p}},
            st.one_of(st.integers(1, 30), st.just("n % 5 + 1"), st.just("n")),
        ),
        st.builds(lambda lv: {"escalate": {"to": "boss", "level": lv}}, st.integers(1, 3)),
        conditions.map(
            lambda c: {
                "check": {"assert": c, "message": "m", "observed": "m", "limit": "params.limit"}
            }
        ),
    )


@st.composite
def packs(draw: st.DrawFn) -> dict[str, Any]:
    cals = draw(calendars())
    types = TYPES + (COLLIDING if draw(st.booleans()) else [])  # COLLIDING: kept on purpose
    n_rules = draw(st.integers(2, 8))
    rules = []
    for i in range(n_rules):
        rule: dict[str, Any] = {
            "id": f"r{i}",
            "on": draw(
                st.one_of(
                    st.sampled_from(types),
                    st.lists(st.sampled_from(types), min_size=1, max_size=2, unique=True),
                )
            ),
            "cite": {"doc": "d"},
            "severity": draw(st.sampled_from(["hard", "soft"])),
            **draw(effects(list(cals))),
        }
        if draw(st.integers(0, 2)) == 1:
            rule["when"] = draw(conditions)
        if draw(st.booleans()):
            rule["editions"] = draw(
                st.lists(st.sampled_from(["e1", "e2"]), min_size=1, max_size=2, unique=True)
            )
        if draw(st.integers(0, 2)) == 1:
            lo = draw(st.one_of(st.none(), DAYS))
            hi = draw(st.one_of(st.none(), DAYS))
            if lo is not None and hi is not None and hi <= lo:  # `from` must be before `until`
                lo, hi = (hi, lo) if hi < lo else (lo, None)
            rule["effective"] = {
                **({"from": lo} if lo else {}),
                **({"until": hi} if hi else {}),
            }
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
        "timezone": draw(st.sampled_from(ZONES)),
        "editions": {"e1": {"default": True}, "e2": {}},
        "params": PARAMS,
        # Declared loosely on purpose: overrides below add keys and give negative or fractional
        # days, so that event-time errors of the two evaluators are compared too.
        "param_types": {
            "table": {"type": "map", "items": {"type": "int"}},
            "days": {"type": "decimal"},
        },
        "calendars": cals,
        "scorecards": {
            "monthly": {
                "base": 100,
                "period": draw(st.sampled_from(["week", "month", "quarter", "year"])),
            }
        },
        "events": {t: {"fields": FIELDS} for t in types},
        "rules": rules,
    }


overrides = st.fixed_dictionaries(
    {},
    optional={
        "table": st.fixed_dictionaries(
            {}, optional={"p": st.integers(-3, 30), "r": st.integers(0, 9)}
        ),
        "days": st.one_of(st.integers(-2, 12), st.just(Decimal("2.5"))),
        "limit": st.sampled_from([2.5, 0.5, Decimal("3")]),
        "hours": st.sampled_from([Decimal("0.25"), 2, 7.5, 0]),
    },
)

instants = st.datetimes(
    dt.datetime.combine(FIRST, dt.time()), dt.datetime.combine(LAST, dt.time())
).map(lambda d: d.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
valid_events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES + COLLIDING),
        "at": st.one_of(instants, instants.map(lambda d: d.isoformat())),
        "case": st.sampled_from(["C1", "abc"]),
        "n": st.integers(-10, 60),
        "m": st.decimals("-20", "20", places=2),
        "k": st.sampled_from(["p", "q", "r"]),
        "s": st.sampled_from(["C1", "xy", "abcd"]),
        "t": instants,
    },
    optional={
        "id": st.sampled_from(["e1", 42]),
        "subject": st.sampled_from(["u1", 9]),
        "o": st.one_of(st.integers(-3, 9), st.none()),
        "f": st.booleans(),
        "d": st.sampled_from(["2024-03-01", dt.date(2025, 1, 1)]),
        "w": st.sampled_from([1.5, "2", None]),
    },
)
# Values a field's type refuses, reads specially (3.0 as an int, " 7 " as a number), or none.
ODD: dict[str, list[Any]] = {
    "at": ["2024-03-01T10:00:00", "yesterday", None],
    "n": [3.0, 2.5, "4", True, None],
    "m": ["1.25", " 7 ", 3, "x", "NaN", True],
    "k": ["z", 1],
    "s": [7, False, None],
    "t": ["2024-03-01T10:00:00", dt.date(2024, 3, 1)],
    "o": [1.0, "1"],
    "f": ["yes", 1],
    "d": ["2024-13-01", dt.datetime(2024, 1, 1, tzinfo=dt.UTC)],
    "w": [float("inf"), "abc"],
    "subject": [[1]],
}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed event, or now and then one with a single odd value."""
    raw = draw(valid_events)
    if draw(st.integers(0, 5)) == 3:  # not 0: hypothesis favours it
        name = draw(st.sampled_from(sorted(ODD)))
        raw[name] = draw(st.sampled_from(ODD[name]))
    return raw


COLLISION: dict[str, Any] = {
    "pack": "gen",
    "version": "1",
    "title": "colliding names",
    "events": {t: {} for t in COLLIDING},
    "rules": [
        {"id": f"r{i}", "on": t, "cite": {"doc": "d"}, "escalate": {"to": t, "level": 1}}
        for i, t in enumerate(COLLIDING)
    ],
}


@settings(max_examples=150, deadline=None)
@example(COLLISION, [{"type": t, "at": "2024-10-08T09:00:00+08:00"} for t in COLLIDING], None, {})
@given(
    packs(),
    st.lists(events(), min_size=2, max_size=8),
    st.sampled_from([None, "e1", "e2"]),
    overrides,
)
def test_compiled_equals_reference(
    pack_data: dict[str, Any],
    evts: list[dict[str, Any]],
    edition: str | None,
    params: dict[str, Any],
) -> None:
    engine = svcrules.Engine(pack_data, edition=edition, params=params)
    pack = engine.packs[0]
    spec = pack.spec
    final = merge_params(spec.params, params)
    for raw in evts:
        if raw["type"] not in spec.events:
            continue
        expected: Any
        try:
            e = validate_event(spec, raw)
        except OracleEventError as exc:
            expected = ("rejected", sorted(exc.codes))
        else:
            try:
                expected = reference_outcomes(pack, final, e)
            except (ArithmeticError, TypeError, ValueError, LookupError, OracleEventError):
                expected = "error"
        got: Any
        try:
            got = compiled_outcomes(engine.raw_outcomes(raw)[2])
        except svcrules.EventError as exc:
            codes = sorted(d.code for d in exc.diagnostics)
            got = "error" if expected == "error" else ("rejected", codes)
        assert got == expected
