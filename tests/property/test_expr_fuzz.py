"""Properties of the expression language: the parser refuses anything with a `PackError` only,
evaluation fails only with ordinary errors, and compiled code agrees with the reference interpreter.
"""

from __future__ import annotations

import ast
import contextlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reference_expr import family, interpret

from svcrules.errors import PackError
from svcrules.expr import FUNCTIONS, Expr, parse_expr

ORDINARY = (TypeError, ArithmeticError, KeyError, IndexError, ValueError)
FIELDS = ("a", "b", "c", "s")
PARAMS: dict[str, Any] = {
    "limit": Decimal("7.5"),
    "minutes": {"urban": 45, "rural": 90},
    "codes": ["x", "y"],
    "n": 3,
}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- event values --------------------------------------------------------------------------------

datetimes = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=timezone(timedelta(hours=8)))
)
scalars = st.one_of(
    st.integers(-(10**20), 10**20),
    st.integers(-10, 10),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-1000, max_value=1000, places=2),
    st.text(max_size=8),
    st.none(),
    st.booleans(),
    datetimes,
)
# Extreme values an event may carry past validation's bounds when the caller builds it in Python:
# huge exponents and digit counts, NaN, infinities, negative zero, long strings (kept few, so
# the suite stays fast).
extremes = st.sampled_from(
    [
        Decimal("1e999999999"),
        Decimal("-1e-999999999"),
        Decimal("1." + "3" * 60),
        Decimal("NaN"),
        Decimal("-Infinity"),
        Decimal("-0"),
        10**4000,  # 4001 digits; hypothesis must be able to repr it (limit 4300)
        -(10**40),
        "9" * 5000,
        "x" * 5000,
    ]
)
values = st.one_of(scalars, extremes, st.lists(st.one_of(scalars, extremes), max_size=4))


def event_for(expr: Expr, data: st.DataObject) -> dict[str, Any]:
    return {name: data.draw(values, label=name) for name in sorted(expr.fields)}


# --- (1) fuzz: only PackError from parsing, only ordinary errors from evaluating -----------------

TOKENS = [
    *FIELDS, "params", "params.limit", "params.minutes", "params.codes", "params.__class__",
    *FUNCTIONS, "open", "__import__", "eval", "lambda", "for", "in", "not", "is", "and", "or",
    "if", "else", "None", "True", "0", "1", "2", "7.5", "64", "65", "10**18", "1e400", "1j",
    "1e999999999", "9" * 5000, "-0", "0e-999999999", "'x' * 10000", "str([a] * 100)",
    "'x'", "'%s'", "'(('", "f'{a}'", "b''", "+", "-", "*", "/", "//", "%", "**", "==", "!=",
    "<", "<=", ">", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", ":=", "=", "~", "|",
    "@", "*", " ", "\n", "#", "\\",
]  # fmt: skip
token_text = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join) | st.lists(
    st.sampled_from(TOKENS), max_size=30
).map("".join)


def parse_or_none(text: str) -> Expr | None:
    try:
        return parse_expr(text)
    except PackError:
        return None


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_pack_error(text: str) -> None:
    parse_or_none(text)


@FAST
@given(token_text, st.data())
def test_tokens_parse_or_refuse_and_evaluate_ordinarily(text: str, data: st.DataObject) -> None:
    expr = parse_or_none(text)
    if expr is None:
        return
    with contextlib.suppress(*ORDINARY):
        expr.evaluate(event_for(expr, data), PARAMS)


@FAST
@given(st.text(max_size=100), st.sampled_from(["(", "[", "-", "not ", "a.", "(1, "]))
def test_long_or_deep_text_never_crashes_the_parser(text: str, opener: str) -> None:
    parse_or_none(opener * 400 + text)


# --- (2) generated valid expressions: compiled == reference --------------------------------------


def name(n: str) -> ast.expr:
    return ast.Name(n, ast.Load())


def param(*path: str) -> ast.expr:
    node = name("params")
    for key in path:
        node = ast.Attribute(node, key, ast.Load())
    return node


leaves = st.one_of(
    st.integers(-1000, 1000).map(ast.Constant),
    st.floats(-1e6, 1e6, allow_nan=False).map(ast.Constant),
    st.text(max_size=4).map(ast.Constant),
    st.sampled_from([True, False, None]).map(ast.Constant),
    st.sampled_from(FIELDS).map(name),
    st.sampled_from([param("limit"), param("minutes"), param("codes"), param("n"), name("params")]),
)

ARITHMETIC = [ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.FloorDiv(), ast.Mod()]
COMPARISONS = [
    ast.Eq(),
    ast.NotEq(),
    ast.Lt(),
    ast.LtE(),
    ast.Gt(),
    ast.GtE(),
    ast.In(),
    ast.NotIn(),
]


def branches(child: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    def call(fn: str, arity: int) -> st.SearchStrategy[ast.expr]:
        return st.lists(child, min_size=arity, max_size=arity).map(
            lambda args: ast.Call(name(fn), args, [])
        )

    return st.one_of(
        st.builds(ast.BinOp, child, st.sampled_from(ARITHMETIC), child),
        st.builds(
            lambda base, exp: ast.BinOp(base, ast.Pow(), ast.Constant(exp)),
            child,
            st.integers(-4, 8),
        ),
        st.builds(ast.UnaryOp, st.sampled_from([ast.USub(), ast.UAdd(), ast.Not()]), child),
        st.builds(
            ast.BoolOp,
            st.sampled_from([ast.And(), ast.Or()]),
            st.lists(child, min_size=2, max_size=3),
        ),
        st.lists(st.tuples(st.sampled_from(COMPARISONS), child), min_size=1, max_size=2).flatmap(
            lambda pairs: child.map(
                lambda left: ast.Compare(left, [op for op, _ in pairs], [c for _, c in pairs])
            )
        ),
        st.builds(
            lambda x, op: ast.Compare(x, [op], [ast.Constant(None)]),
            child,
            st.sampled_from([ast.Is(), ast.IsNot()]),
        ),
        st.builds(ast.IfExp, child, child, child),
        st.builds(lambda v, k: ast.Subscript(v, k, ast.Load()), child, child),
        st.lists(child, max_size=3).map(lambda xs: ast.List(xs, ast.Load())),
        st.lists(child, max_size=3).map(lambda xs: ast.Tuple(xs, ast.Load())),
        *(call(fn, 1) for fn in ("abs", "len", "int", "str", "minutes", "hours", "days", "date")),
        *(call(fn, n) for fn in ("min", "max") for n in (1, 2, 3)),
        call("round", 1),
        call("round", 2),
        call("contains_any", 2),
        call("count_of", 2),
    )


expressions = st.recursive(leaves, branches, max_leaves=12).map(
    lambda node: ast.unparse(ast.fix_missing_locations(ast.Expression(node)))
)


def outcome(run: Any) -> tuple[str, Any]:
    try:
        result = run()
    except ORDINARY as exc:
        return "error", family(exc)
    return "value", (type(result), repr(result))


@FAST
@given(expressions, st.data())
def test_compiled_agrees_with_reference(text: str, data: st.DataObject) -> None:
    try:
        expr = parse_expr(text, fields=FIELDS, params=PARAMS)
    except PackError as exc:
        # Only the size bounds may refuse a generated expression, and the params check when the
        # generator indexed the params root with a literal key that is not a param (params['']).
        allowed = {"expr.too-deep", "expr.too-long", "expr.unknown-param"}
        assert set(exc.codes) <= allowed, (text, exc.render())
        return
    event = event_for(expr, data)
    compiled = outcome(lambda: expr.evaluate(event, PARAMS))
    reference = outcome(lambda: interpret(expr, event, PARAMS))
    assert compiled == reference, text


@FAST
@given(expressions)
def test_generated_source_parses_back_to_the_same_tree(text: str) -> None:
    try:
        expr = parse_expr(text, fields=FIELDS, params=PARAMS)
    except PackError:
        return
    source, names = expr.python("_q")
    assert all(n.startswith(("_q", "_fn_")) for n in names)
    ast.parse(source, mode="eval")


def test_evaluation_uses_utc_aware_datetimes() -> None:
    expr = parse_expr("date(c + hours(1))")
    assert expr.evaluate({"c": datetime(2024, 1, 1, 23, 30, tzinfo=UTC)}, {}).day == 2
