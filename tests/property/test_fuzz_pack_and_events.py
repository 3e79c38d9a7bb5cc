"""Fuzz: arbitrary pack data and arbitrary events raise nothing but svcrules errors."""

from __future__ import annotations

import copy
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.conftest import MINI_PACK

import svcrules
from svcrules import EventError, PackError, Rejection

BASE: dict[str, Any] = yaml.safe_load(MINI_PACK)
ENGINE = svcrules.Engine(copy.deepcopy(BASE))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "2024-06-03T21:10:00+08:00",
            "2024-06-03",
            "urban",
            "fault.reported",
            "params.reply_days",
            "minutes",
            "workdays",
            "__import__('os')",
        ]
    ),
    st.dates(),
    st.datetimes(),
    # extreme values (few and bounded in size, so the suite stays fast)
    st.sampled_from(
        [
            Decimal("1e999999999"),
            Decimal("-1e-999999999"),
            Decimal("0E+999999999"),
            Decimal("1." + "3" * 60),
            Decimal("NaN"),
            Decimal("-Infinity"),
            Decimal("-0"),
            10**4000,  # 4001 digits; hypothesis must be able to repr it (limit 4300)
            -(10**40),
            float("inf"),
            float("nan"),
            -0.0,
            b"\x00binary",
            "x" * 5000,
            "\ud800",
            "\x1b[2J",
        ]
    ),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
paths = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "rules",
                "events",
                "params",
                "calendars",
                "scorecards",
                "editions",
                "deadline",
                "when",
                "within",
                "unit",
                "fields",
                "type",
                "on",
                "check",
            ]
        ),
        st.integers(0, 8),
    ),
    min_size=1,
    max_size=4,
)


def _mutate(data: Any, path: list[Any], value: Any) -> Any:
    node = data
    for part in path[:-1]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            break
    last = path[-1]
    if isinstance(node, dict):
        node[last if isinstance(last, str) else str(last)] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(paths, json_like), min_size=1, max_size=3))
def test_mutated_packs_raise_only_pack_errors(mutations: list[tuple[list[Any], Any]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value in mutations:
        data = _mutate(data, path, value)
    try:
        svcrules.Engine(data)
    except PackError as exc:
        assert exc.diagnostics and all(d.code and d.path.startswith("$") for d in exc.diagnostics)
        assert "pack.internal" not in exc.codes, exc.render()


@settings(max_examples=100, deadline=None)
@given(json_like)
def test_arbitrary_pack_data_raises_only_pack_errors(data: Any) -> None:
    try:
        svcrules.load_pack(data if isinstance(data, dict) else {"pack": data})
    except PackError as exc:
        assert "pack.internal" not in exc.codes, exc.render()


events = st.one_of(
    json_like,
    st.fixed_dictionaries(
        {"type": st.sampled_from([*sorted(ENGINE.event_types), "x.y", ""])},
        optional={
            "at": scalars,
            "case": scalars,
            "area": scalars,
            "v": scalars,
            "nominal_v": scalars,
            "subject": scalars,
            "code": scalars,
            "id": scalars,
        },
    ),
)


@settings(max_examples=400, deadline=None)
@given(events)
def test_arbitrary_events_raise_only_event_errors(evt: Any) -> None:
    try:
        ENGINE.evaluate(evt)
    except EventError as exc:
        assert exc.diagnostics
        assert "event.internal" not in exc.codes, exc.render()


@settings(max_examples=50, deadline=None)
@given(st.lists(events, max_size=10))
def test_every_event_of_a_batch_yields_a_decision_or_a_rejection(batch: list[Any]) -> None:
    out = list(ENGINE.evaluate_many(batch))
    assert len(out) == len(batch)
    assert [o.index if isinstance(o, Rejection) else i for i, o in enumerate(out)] == list(
        range(len(batch))
    )


@settings(max_examples=400, deadline=None)
@given(events)
def test_generated_fast_validation_agrees_with_the_full_validation(evt: Any) -> None:
    if not isinstance(evt, dict) or evt.get("type") not in ENGINE.event_types:
        return
    shape = ENGINE.compiled[0].shapes[evt["type"]]
    try:
        full: Any = shape.validate_fully(evt)
    except EventError:
        full = "rejected"
    try:
        fast: Any = shape._fast(evt)
    except Exception:
        fast = "unusual"  # left to the full path: always allowed
    assert fast in ("unusual", full)


NUMBER_TEXTS = [
    "1e999999999", "1.0e+999999999", "9" * 5000, "-0", "0e-999999999", "1e-999999999", "NaN",
    "-Infinity", ".nan", "-.inf", "1." + "3" * 60, "1" * 41, "1" * 40,
]  # fmt: skip
PACK_TEXT = {
    "yaml": 'pack: p\nversion: "1"\ntitle: t\nparams:\n  x: {n}\n',
    "json": '{{"pack": "p", "version": "1", "title": "t", "params": {{"x": {n}}}}}',
    "toml": 'pack = "p"\nversion = "1"\ntitle = "t"\n[params]\nx = {n}\n',
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NUMBER_TEXTS), st.sampled_from(sorted(PACK_TEXT)))
def test_extreme_numbers_in_pack_files_load_or_fail_as_pack_errors(number: str, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"pack.{fmt}"
        path.write_text(PACK_TEXT[fmt].format(n=number), encoding="utf-8")
        try:
            pack = svcrules.load_pack(path)
        except PackError as exc:
            assert not any(c.endswith(".internal") for c in exc.codes), exc.render()
            return
    x = pack.spec.params["x"]
    assert not isinstance(x, int | Decimal | float) or (
        isinstance(x, bool) or -(10**40) < x < 10**40
    ), x


containers = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
).filter(lambda v: isinstance(v, list | dict))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(containers, st.sampled_from(["params", "events", "rules", "description"]))
def test_yaml_aliases_are_refused_with_a_located_syntax_error(shared: Any, key: str) -> None:
    data = {"pack": "p", "version": "1", "title": "t", key: {"a": shared, "b": [shared]}}
    text = yaml.safe_dump(data, allow_unicode=True)  # the second occurrence becomes an alias
    assume("*id" in text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pack.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            svcrules.load_pack(path)
        except PackError as exc:
            assert not any(c.endswith(".internal") for c in exc.codes), exc.render()
            syntax = [d for d in exc.diagnostics if d.code == "pack.syntax"]
            assert syntax and all(d.line and d.column for d in syntax), exc.render()
            return
    raise AssertionError("a pack with YAML aliases loaded")
