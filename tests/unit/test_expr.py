"""The expression language: what it computes, what it refuses and how it says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.reference_expr import family, interpret

from svcrules.errors import PackError
from svcrules.expr import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, MAX_STRING, parse_expr
from svcrules.hints import HINTS

AT = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
EVENT: dict[str, Any] = {
    "area": "urban",
    "v": Decimal("235.4"),
    "nominal_v": 220,
    "n": 7,
    "text": "the crew refused to come",
    "at": AT,
    "missing": None,
    "codes": ["a", "b"],
}
PARAMS: dict[str, Any] = {
    "arrival_minutes": {"urban": 45, "rural": 90},
    "limit": Decimal("7"),
    "words": ["refused", "rude"],
    "nested": {"inner": {"deep": 3}},
}
FIELDS = frozenset(EVENT)


def value(text: str, event: dict[str, Any] | None = None) -> Any:
    """The compiled value, checked against the reference interpreter."""
    expr = parse_expr(text, fields=FIELDS, params=PARAMS)
    got = expr.evaluate(event or EVENT, PARAMS)
    assert got == interpret(expr, event or EVENT, PARAMS)
    assert type(got) is type(interpret(expr, event or EVENT, PARAMS))
    return got


def codes(text: str, **kwargs: Any) -> list[tuple[str, int | None]]:
    kwargs.setdefault("fields", FIELDS)
    kwargs.setdefault("params", PARAMS)
    with pytest.raises(PackError) as info:
        parse_expr(text, path="$.rules[3].when", **kwargs)
    assert all(d.path == "$.rules[3].when" for d in info.value.diagnostics)
    assert all(d.file is None and d.line is None for d in info.value.diagnostics)
    return [(d.code, d.column) for d in info.value.diagnostics]


# --- what the language computes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("'x'", "x"),
        ("True", True),
        ("None", None),
        ("7.0", Decimal("7.0")),
        ("[1, 2]", [1, 2]),
        ("(1, 'a')", (1, "a")),
        ("()", ()),
        ("area", "urban"),
        ("params.limit", Decimal("7")),
        ("params.nested.inner.deep", 3),
        ("params['limit']", Decimal("7")),
        ("params.arrival_minutes[area]", 45),
        ("codes[1]", "b"),
        ("1 + 2 * 3", 7),
        ("7 - 10", -3),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("2 ** 10", 1024),
        ("2 ** -1", Decimal("0.5")),
        ("-n", -7),
        ("+n", 7),
        ("not n", False),
        ("n > 5 and area", "urban"),
        ("missing or 'default'", "default"),
        ("1 < n <= 7", True),
        ("1 < n < 7", False),
        ("area in params.arrival_minutes", True),
        ("area not in ['urban']", False),
        ("missing is None", True),
        ("missing is not None", False),
        ("'a' if n > 5 else 'b'", "a"),
        ("'a' * 3", "aaa"),
        ("[0] * 2", [0, 0]),
        ("'ab' + 'c'", "abc"),
    ],
)
def test_construct_value(text: str, expected: Any) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(3, n, 9)", 3),
        ("max(codes)", "b"),
        ("abs(-2.5)", Decimal("2.5")),
        ("len(text)", 24),
        ("round(2.675, 2)", Decimal("2.68")),
        ("round(2.5)", 2),
        ("int('12') + int(3.9)", 15),
        ("str(n) + 'x'", "7x"),
        ("minutes(90)", timedelta(minutes=90)),
        ("hours(1.5)", timedelta(minutes=90)),
        ("days(2)", timedelta(days=2)),
        ("at + minutes(params.arrival_minutes[area])", AT + timedelta(minutes=45)),
        ("date(at)", date(2024, 3, 1)),
        ("contains_any(text, params.words)", True),
        ("contains_any(text, ['polite'])", False),
        ("count_of(text, ['crew', 'refused', 'x'])", 2),
    ],
)
def test_function_value(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_functions_are_the_documented_allow_list() -> None:
    assert set(FUNCTIONS) == {
        "abs", "contains_any", "count_of", "date", "days", "hours", "int", "len", "max",
        "min", "min_gap", "minutes", "phrases_in", "round", "str",
    }  # fmt: skip


def test_reports_what_it_refers_to() -> None:
    expr = parse_expr("params.arrival_minutes[area] < minutes(n) and params['limit'] > 1")
    assert expr.fields == {"area", "n"}
    assert expr.params == {"arrival_minutes", "limit"}
    assert expr.functions == {"minutes"}


def test_leading_blanks_are_accepted() -> None:
    assert parse_expr("  \n  n + 1.5").evaluate({"n": 1}, {}) == Decimal("2.5")


# --- exact decimals ------------------------------------------------------------------------------


def test_voltage_deviation_is_exactly_seven_percent() -> None:
    assert value("(v - nominal_v) / nominal_v * 100") == 7
    assert value("abs(v - nominal_v) / nominal_v * 100 <= 7") is True


def test_point_one_plus_point_two_is_point_three() -> None:
    assert value("0.1 + 0.2 == 0.3") is True


def test_float_literal_keeps_its_source_digits() -> None:
    assert value("0.1000000000000000000001") == Decimal("0.1000000000000000000001")


def test_int_division_is_exact_decimal() -> None:
    assert value("7 / 2") == Decimal("3.5")
    assert isinstance(value("6 / 3"), Decimal)


# --- runtime guards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("missing + 1", TypeError),
        ("n / 0", ArithmeticError),
        ("n // 0", ArithmeticError),
        ("codes[5]", IndexError),
        ("params.arrival_minutes['nowhere']", KeyError),
        ("text * 1000", ValueError),
        ("[1] * 100000", ValueError),
        ("text % 1", TypeError),
        ("'%999999999d' % n", TypeError),
        ("(10 ** 64) ** 64", ValueError),
        ("round(n, 10 ** 18)", ValueError),
        ("date(n)", TypeError),
        ("minutes('5')", TypeError),
        ("days(10 ** 18)", OverflowError),
        ("contains_any(text, 'refused')", TypeError),
        ("min([])", ValueError),
    ],
)
def test_runtime_errors_are_ordinary(text: str, error: type[Exception]) -> None:
    expr = parse_expr(text, fields=FIELDS, params=PARAMS)
    with pytest.raises(error) as compiled:
        expr.evaluate(EVENT, PARAMS)
    with pytest.raises(Exception) as reference:
        interpret(expr, EVENT, PARAMS)
    assert family(compiled.value) is family(reference.value)


def test_huge_decimal_from_an_event_is_not_turned_into_a_huge_int() -> None:
    with pytest.raises(ValueError):
        parse_expr("int(v)").evaluate({"v": Decimal("1e999999")}, {})


# --- what the language refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("__import__('os')", "expr.call"),
        ("().__class__.__bases__", "expr.private-name"),
        ("params.__dict__", "expr.private-name"),
        ("params['_secret']", "expr.private-name"),
        ("_hidden", "expr.private-name"),
        ("open('x')", "expr.call"),
        ("eval('1')", "expr.call"),
        ("getattr(area, 'x')", "expr.call"),
        ("area.upper()", "expr.call"),
        ("lambda: 1", "expr.construct"),
        ("[x for x in y]", "expr.construct"),
        ("{1: 2}", "expr.construct"),
        ("{1}", "expr.construct"),
        ("f'{area}'", "expr.construct"),
        ("(n := 1)", "expr.construct"),
        ("min(*codes)", "expr.construct"),
        ("codes[0:1]", "expr.construct"),
        ("2 ** 10**9", "expr.exponent"),
        ("9**9**9", "expr.exponent"),
        ("n ** n", "expr.exponent"),
        ("2 ** 65", "expr.exponent"),
        ("'(' * 200", None),  # brackets inside strings do not count as nesting
        ("a.b", "expr.attribute"),
        ("area.b", "expr.attribute"),
        ("n | 1", "expr.operator"),
        ("n @ n", "expr.operator"),
        ("~n", "expr.operator"),
        ("n is 1", "expr.compare"),
        ("1j", "expr.literal"),
        ("b'x'", "expr.literal"),
        ("...", "expr.literal"),
        ("10 ** 18 + 1000000000000000001", "expr.too-large"),
        ("1e19", "expr.too-large"),
        ("round(n, 2, 3)", "expr.arguments"),
        ("min(codes, key=len)", "expr.arguments"),
        ("len()", "expr.arguments"),
        ("nope", "expr.unknown-name"),
        ("params.nope", "expr.unknown-param"),
        ("params.limit.x", "expr.unknown-param"),
        ("params['nope']", "expr.unknown-param"),
        ("n +", "expr.syntax"),
        ("n = 1", "expr.syntax"),
        ("'unterminated", "expr.syntax"),
        ("n\x00", "expr.syntax"),
    ],
)
def test_refused_construct_has_its_code(text: str, code: str | None) -> None:
    if code is None:
        parse_expr(text)
    else:
        assert code in [c for c, _ in codes(text)]


def test_deep_parentheses_are_refused_before_parsing() -> None:
    assert codes("(" * 200 + "1" + ")" * 200) == [("expr.too-deep", MAX_DEPTH + 1)]


def test_deep_unary_chain_is_refused() -> None:
    assert [c for c, _ in codes("-" * (MAX_LENGTH - 1) + "1")] == ["expr.too-deep"]


def test_deep_attribute_chain_is_refused() -> None:
    assert [c for c, _ in codes("params" + ".a" * 900)] == ["expr.too-deep"]


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    assert parse_expr("(" * depth + "1" + ")" * depth).evaluate({}, {}) == 1


def test_long_text_is_refused() -> None:
    assert codes("'" + "x" * 10_000 + "'") == [("expr.too-long", 1)]


def test_long_string_literal_is_refused() -> None:
    assert codes("'" + "x" * (MAX_STRING + 1) + "'") == [("expr.too-large", 1)]


def test_long_list_display_is_refused() -> None:
    assert codes("[" + "1," * 300 + "]") == [("expr.too-large", 1)]


def test_unknown_name_suggests_a_field() -> None:
    with pytest.raises(PackError) as info:
        parse_expr("arae == 'x'", fields=FIELDS)
    (d,) = info.value.diagnostics
    assert d.hint == "did you mean `area`?"


def test_unknown_param_suggests_a_param() -> None:
    with pytest.raises(PackError) as info:
        parse_expr("params.arival_minutes[area]", params=PARAMS)
    (d,) = info.value.diagnostics
    assert d.hint == "did you mean `params.arrival_minutes`?"


def test_without_fields_any_bare_name_is_a_field() -> None:
    assert parse_expr("anything + 1").fields == {"anything"}


# --- several problems, columns -------------------------------------------------------------------


def test_all_problems_are_reported_at_once_with_columns() -> None:
    assert codes("nope + params.nada + open('x') + a.b + 2 ** n") == [
        ("expr.unknown-name", 1),
        ("expr.unknown-param", 15),
        ("expr.call", 22),
        ("expr.unknown-name", 34),
        ("expr.attribute", 36),
        ("expr.exponent", 45),
    ]


def test_columns_count_characters_not_bytes() -> None:
    assert codes("'电压' + nope") == [("expr.unknown-name", 8)]


def test_columns_count_leading_blanks() -> None:
    assert codes("  nope") == [("expr.unknown-name", 3)]


def test_syntax_error_column() -> None:
    assert codes("n + + * 2") == [("expr.syntax", 7)]
    assert codes("n +") == [("expr.syntax", 4)]


def test_private_attribute_column_points_at_the_name() -> None:
    assert codes("params.__dict__") == [("expr.private-name", 8)]


# --- generated code ------------------------------------------------------------------------------


def test_python_reads_e_and_p_and_names_constants_with_the_prefix() -> None:
    source, names = parse_expr("params.limit[area] + 1.5 * min(n, 2)").python("_r7_")
    # `+` is bounded like `*` (it may concatenate); with a number literal it stays native
    assert source == "_fn_add(P['limit'][e['area']], _fn_mul(_r7_0, _fn_min(e['n'], 2)))"
    assert parse_expr("a + 1").python("_r7_")[0] == "e['a'] + 1"
    assert names["_r7_0"] == Decimal("1.5")
    assert names["_fn_min"] is FUNCTIONS["min"]


def test_constant_tuples_are_hoisted() -> None:
    source, names = parse_expr("area in ('a', 1.5)").python("_k")
    assert source == "e['area'] in _k0"
    assert names == {"_k0": ("a", Decimal("1.5"))}


def test_two_expressions_share_one_namespace() -> None:
    one = parse_expr("v * 1.5 > 2.5")
    two = parse_expr("v / 0.5 + 0.25")
    src1, ns1 = one.python("_a_")
    src2, ns2 = two.python("_b_")
    assert not (set(ns1) & set(ns2)) - {n for n in ns1 if n.startswith("_fn_")}
    namespace: dict[str, Any] = {"__builtins__": {}, **ns1, **ns2}
    code = compile(f"lambda e, P: (({src1}), ({src2}))", "<test>", "eval")
    run = eval(code, namespace)
    assert run({"v": Decimal(2)}, {}) == (True, Decimal("4.25"))


def test_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_expr("1.5").python("1x")


def test_generated_code_has_no_builtins() -> None:
    expr = parse_expr("len(text)")
    assert expr.evaluate({"text": "abc"}, {}) == 3
    source, _ = expr.python("_p")
    assert "len(" not in source.replace("_fn_len(", "")


def test_evaluate_is_compiled_once() -> None:
    expr = parse_expr("n + 1")
    expr.evaluate({"n": 1}, {})
    first = expr._compiled[0]
    expr.evaluate({"n": 2}, {})
    assert expr._compiled == [first]


# --- phrases_in and min_gap ----------------------------------------------------------------------

FORBIDDEN = ["你问我,我问谁?", "快下班了,明天再说。", "有意见,找我们领导去。", "你们必须……"]
VARIANTS = {"見": "见", "們": "们", "領": "领", "導": "导"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("好的，快下班了，明天再说吧。", ("快下班了,明天再说。",)),  # full-width punctuation
        ("好的,快下班了,明天再说吧.", ("快下班了,明天再说。",)),  # half-width
        ("有意见,找我们领导去!", ("有意见,找我们领导去。",)),
        ("你问我 我问谁", ("你问我,我问谁?",)),  # spaces and punctuation dropped
        ("你们必须先关机再重启", ("你们必须……",)),  # a prefix phrase
        ("有意见找我们领导去，你问我我问谁？", ("你问我,我问谁?", "有意见,找我们领导去。")),
        ("请您先检查一下电源,好吗?", ()),
        ("", ()),
    ],
)
def test_phrases_in_names_the_phrases_found(text: str, expected: tuple[str, ...]) -> None:
    assert FUNCTIONS["phrases_in"](text, FORBIDDEN) == expected


def test_phrases_in_folds_variant_spellings_when_given() -> None:
    text = "有意見，找我們領導去！"
    assert FUNCTIONS["phrases_in"](text, FORBIDDEN) == ()
    assert FUNCTIONS["phrases_in"](text, FORBIDDEN, VARIANTS) == ("有意见,找我们领导去。",)


def test_phrases_in_finds_overlapping_phrases_and_full_width_letters() -> None:
    phrases = ("he", "she", "hers", "his", "ＵＳ")
    assert FUNCTIONS["phrases_in"]("USHERS", phrases) == ("he", "she", "hers", "ＵＳ")
    assert FUNCTIONS["phrases_in"]("x", ("!!!", "。")) == ()  # punctuation alone matches nothing


def test_phrases_in_agrees_with_a_naive_search() -> None:
    import random

    rng = random.Random(7)
    alphabet = "abcab你我们"
    for _ in range(200):
        words = (rng.randint(1, 4) for _ in range(8))
        phrases = ["".join(rng.choice(alphabet) for _ in range(n)) for n in words]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        naive = tuple(p for p in phrases if p in text)
        assert FUNCTIONS["phrases_in"](text, phrases) == naive, (text, phrases)


def test_phrases_in_in_an_expression() -> None:
    event = {**EVENT, "text": "快下班了，明天再说！"}
    params = {**PARAMS, "phrases": FORBIDDEN}
    expr = parse_expr("phrases_in(text, params.phrases)", fields=FIELDS, params=params)
    assert expr.evaluate(event, params) == ("快下班了,明天再说。",)
    assert interpret(expr, event, params) == ("快下班了,明天再说。",)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((1, ["a"]), TypeError),
        (("a", "abc"), TypeError),
        (("a", [1]), TypeError),
        (("a", ["a"], ["見见"]), TypeError),
        (("a", ["a"], {"見": "见见"}), ValueError),
        (("x" * 1_000_001, ["a"]), ValueError),
        (("a", ["a"] * 10_001), ValueError),
        (("a", ["a" * 1001]), ValueError),
    ],
)
def test_phrases_in_refuses_bad_or_oversized_arguments(
    args: tuple[Any, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        FUNCTIONS["phrases_in"](*args)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0, 20], 20), ([40, 0, 20], 20), ([0, 15, 60, 75], 15), ([5], None), ([], None),
     ([0, Decimal("15.5"), 31], Decimal("15.5")), ([0, 15.5], Decimal("15.5"))],
)  # fmt: skip
def test_min_gap(values: list[Any], expected: Any) -> None:
    assert FUNCTIONS["min_gap"](values) == expected


@pytest.mark.parametrize("values", ["0,15", [0, "15"], [True, 3], [0] * 10_001])
def test_min_gap_refuses_what_is_not_a_bounded_list_of_numbers(values: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        FUNCTIONS["min_gap"](values)


# --- fields named with a Python keyword ----------------------------------------------------------


@pytest.mark.parametrize("word", ["class", "from", "in", "is", "not", "lambda", "import", "async"])
def test_a_keyword_field_is_written_with_a_trailing_underscore(word: str) -> None:
    x = parse_expr(f"{word}_ == 'x'", fields={word, "at"})
    assert x.fields == {word}
    source, _ = x.python("_p")
    assert source == f"e[{word!r}] == 'x'"
    assert x.evaluate({word: "x"}, {}) is True
    assert x.evaluate({word: "y"}, {}) is False
    assert interpret(x, {word: "x"}, {}) is True


def test_a_declared_underscore_field_wins_over_the_keyword_field() -> None:
    x = parse_expr("class_ == 'x'", fields={"class", "class_"})
    assert x.fields == {"class_"}
    assert x.evaluate({"class": "y", "class_": "x"}, {}) is True


def test_without_fields_a_keyword_spelling_reads_the_keyword_field() -> None:
    assert parse_expr("class_ + 1").fields == {"class"}


@pytest.mark.parametrize("name", ["True_", "None_", "klass_", "match_", "type_"])
def test_other_trailing_underscores_are_plain_names(name: str) -> None:
    assert parse_expr(f"{name} == 1").fields == {name}


def test_a_keyword_spelling_without_the_field_is_unknown() -> None:
    with pytest.raises(PackError) as info:
        parse_expr("clas_ == 'x' or class_ == 'y'", fields={"klass", "class"})
    (d,) = info.value.diagnostics
    assert (d.code, d.column, d.hint) == ("expr.unknown-name", 1, "did you mean `class_`?")
    with pytest.raises(PackError) as info:
        parse_expr("from_ == 'x'", fields={"klass"})
    assert [d.code for d in info.value.diagnostics] == ["expr.unknown-name"]


def test_a_bare_keyword_field_is_a_syntax_error_with_a_hint() -> None:
    with pytest.raises(PackError) as info:
        parse_expr("class == 'x'", fields={"class", "at"})
    (d,) = info.value.diagnostics
    assert d.code == "expr.syntax"
    assert d.hint == "the field `class` is a Python keyword: write it `class_`"
    with pytest.raises(PackError) as info:
        parse_expr("class == 'x'", fields={"at"})
    assert info.value.diagnostics[0].hint == HINTS["expr.syntax"]  # the general one
