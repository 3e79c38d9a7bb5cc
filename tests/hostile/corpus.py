"""The hostile corpus: reproducers of issue 7, each a case the runner executes in a forked child
under resource limits (see ``runner.py``).

A case's ``run`` returns JSON-ready data or raises; the runner records a svcrules error with its
codes and diagnostics. ``expect`` names the code the case must end in (``None``: it must
succeed), and ``check`` adds assertions on the recorded outcome.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

AT = "2024-06-03T21:10:00+08:00"

OUTAGE = {  # `important_customers` is an `int` field with a default
    "id": "o1",
    "type": "outage.planned",
    "at": "2024-07-01T09:00:00+08:00",
    "case": "O1",
    "outage_start": "2024-07-15T08:00:00+08:00",
    "kind": "planned",
}
VOLTAGE = {"type": "voltage.measured", "at": AT, "nominal_v": 220, "phases": 1, "v": 235}


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[], Any]
    expect: str | None
    located: bool
    check: Callable[[dict[str, Any]], None] | None


CASES: dict[str, Case] = {}


def case(
    expect: str | None,
    *,
    located: bool = False,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        CASES[fn.__name__] = Case(fn.__name__, fn, expect, located, check)
        return fn

    return register


_ENGINE: list[Any] = []


def shared_engine() -> Any:
    """The power-grid engine, built once in the runner before it forks."""
    if not _ENGINE:
        import svcrules

        _ENGINE.append(svcrules.Engine("power-grid"))
    return _ENGINE[0]


def _dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="svcrules-hostile-"))


def _write(name: str, text: str | bytes, where: Path | None = None) -> Path:
    path = (where or _dir()) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _load(path: Path | dict[str, Any], **kw: Any) -> str:
    import svcrules

    return svcrules.load_pack(path, **kw).name


def _engine(source: Any) -> Any:
    import svcrules

    return svcrules.Engine(source)


PACK_HEAD = 'pack: hostile\nversion: "1"\ntitle: hostile input\n'

MINI = """\
sources:
  d: {title: A regulation}
events:
  thing.happened:
    fields:
      case: {type: string}
      n: {type: int}
      when_due: {type: datetime}
"""


def _rule_pack(rule_yaml: str, params: str = "") -> str:
    return PACK_HEAD + (f"params:\n{params}" if params else "") + MINI + "rules:\n" + rule_yaml


def _event(**fields: Any) -> dict[str, Any]:
    return {"type": "thing.happened", "at": AT, "case": "C1", **fields}


def _evaluate_with(pack_text: str, event: dict[str, Any] | None = None) -> Any:
    engine = _engine(_write("pack.yaml", pack_text))
    return engine.evaluate(event or _event()).to_dict()


# --- 1. huge numbers ------------------------------------------------------------------------------


@case("event.bad-type")
def event_phases_1e999999999() -> Any:
    # the reproducer: `phases` is an enum ("1", "3") now, so a number is the wrong type
    return shared_engine().evaluate({**VOLTAGE, "phases": Decimal("1e999999999")}).to_dict()


@case("event.bad-value")
def event_int_field_1e999999999() -> Any:
    return (
        shared_engine()
        .evaluate({**OUTAGE, "important_customers": Decimal("1e999999999")})
        .to_dict()
    )


@case("event.bad-value")
def event_int_of_5000_digits() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "phases": 10**4999}).to_dict()


@case("event.bad-value")
def event_int_field_of_5000_digits() -> Any:
    return shared_engine().evaluate({**OUTAGE, "important_customers": 10**4999}).to_dict()


@case("event.bad-value")
def event_number_1e999999999() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "v": Decimal("1e999999999")}).to_dict()


@case("event.bad-value")
def event_number_of_60_digits() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "v": Decimal("1." + "3" * 60)}).to_dict()


@case("event.bad-value")
def event_float_infinity() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "v": float("inf")}).to_dict()


@case("event.bad-value")
def event_nan_in_int_field() -> Any:
    return shared_engine().evaluate({**OUTAGE, "important_customers": Decimal("NaN")}).to_dict()


@case("event.bad-value")
def event_id_of_5000_digits() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "id": 10**4999}).to_dict()


@case(None)
def event_zero_with_huge_exponent_is_zero() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "v": Decimal("0E-999999999")}).to_dict()


@case(None)
def event_negative_zero() -> Any:
    return shared_engine().evaluate({**VOLTAGE, "nominal_v": 220, "v": Decimal("-0")}).to_dict()


@case("pack.bad-number", located=True)
def pack_param_1e999999999_as_within_yaml() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        "    deadline: {clock: c, within: params.big, unit: minutes}\n"
    )
    return _evaluate_with(_rule_pack(rule, "  big: 1.0e+999999999\n"))


@case("pack.bad-number")
def pack_param_1e999999999_as_limit_toml() -> Any:
    text = """pack = "hostile"\nversion = "1"\ntitle = "t"\n[params]\nbig = 1.0e999999999\n"""
    return _load(_write("pack.toml", text))


@case("pack.bad-number", located=True)
def pack_param_1e999999999_json() -> Any:
    text = '{"pack": "hostile", "version": "1", "title": "t", "params": {"big": 1e999999999}}'
    return _load(_write("pack.json", text))


@case("pack.bad-number", located=True)
def pack_int_of_5000_digits_yaml() -> Any:
    return _load(_write("pack.yaml", PACK_HEAD + "params:\n  n: " + "9" * 5000 + "\n"))


@case("pack.bad-number")
def pack_int_of_5000_digits_toml() -> Any:
    text = 'pack = "hostile"\nversion = "1"\ntitle = "t"\n[params]\nn = ' + "9" * 5000 + "\n"
    return _load(_write("pack.toml", text))


@case("pack.bad-number")
def pack_int_of_50000_digits_toml() -> Any:
    text = 'pack = "hostile"\nversion = "1"\ntitle = "t"\n[params]\nn = ' + "9" * 50000 + "\n"
    return _load(_write("pack.toml", text))


@case("pack.bad-number", located=True)
def pack_int_of_5000_digits_json() -> Any:
    text = '{"pack": "hostile", "version": "1", "title": "t", "params": {"n": ' + "9" * 5000 + "}}"
    return _load(_write("pack.json", text))


@case("pack.bad-number", located=True)
def pack_nan_in_json() -> Any:
    text = '{"pack": "hostile", "version": "1", "title": "t", "params": {"n": NaN}}'
    return _load(_write("pack.json", text))


@case("pack.bad-number")
def pack_mapping_with_huge_decimal() -> Any:
    return _load(
        {"pack": "hostile", "version": "1", "title": "t", "params": {"big": Decimal("1e999999999")}}
    )


@case("pack.bad-number")
def engine_param_override_1e999999999() -> Any:
    import svcrules

    return repr(svcrules.Engine("power-grid", params={"voltage_hv_from_v": Decimal("1e999999999")}))


# --- 2. amplification in expressions --------------------------------------------------------------


@case("event.eval-error")
def expr_str_bypasses_the_cap_on_star() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        "    when: \"len(str([str(['a'*1000]*10000)] * 10000)) > 0\"\n"
        "    escalate: {to: boss}\n"
    )
    return _evaluate_with(_rule_pack(rule))


@case("event.eval-error")
def expr_nested_repeated_lists_compared_at_fold() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        '    when: "[[[[[[1]*9]*9]*9]*9]*9]*9 == [[[[[[1]*9]*9]*9]*9]*9]*9"\n'
        "    escalate: {to: boss}\n"
    )
    return _evaluate_with(_rule_pack(rule))


@case("event.eval-error")
def expr_plus_chain_on_long_strings() -> Any:
    terms = "params.s"
    for _ in range(7):  # a balanced sum of 128 terms: 7 levels deep, within the depth limit
        terms = f"({terms} + {terms})"
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        f'    when: "len({terms}) > 0"\n    escalate: {{to: boss}}\n'
    )
    return _evaluate_with(_rule_pack(rule, "  s: " + "x" * 200_000 + "\n"))


@case("event.eval-error")
def expr_decimal_power_as_within() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        "    deadline: {clock: c, within: '(params.d ** 64) ** 64', unit: days}\n"
    )
    return _evaluate_with(_rule_pack(rule, "  d: 1.0e+40\n"))


@case("event.eval-error")
def expr_contains_any_scan_is_bounded() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        "    when: \"contains_any(params.s, ['b'] * 9000)\"\n    escalate: {to: boss}\n"
    )
    return _evaluate_with(_rule_pack(rule, "  s: " + "a" * 100_000 + "\n"))


@case("pack.bad-value", located=True)
def pack_binary_param_times_3e9() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        '    when: "len(params.b * 3000000000) > 0"\n    escalate: {to: boss}\n'
    )
    return _evaluate_with(_rule_pack(rule, "  b: !!binary aGVsbG8=\n"))


@case("pack.bad-value")
def pack_mapping_with_bytes_param() -> Any:
    return _load({"pack": "hostile", "version": "1", "title": "t", "params": {"b": b"hello"}})


@case("pack.bad-value", located=True)
def pack_yaml_set() -> Any:
    return _load(
        _write("pack.yaml", PACK_HEAD + "params:\n  s: !!set {a, b}\n  t: !!binary aGk=\n")
    )


# --- 3. YAML aliases ------------------------------------------------------------------------------

LAUGHS = (
    PACK_HEAD
    + "params:\n"
    + '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


@case("pack.syntax", located=True)
def yaml_billion_laughs() -> Any:
    return _load(_write("pack.yaml", LAUGHS))


@case("pack.syntax", located=True)
def yaml_recursive_alias() -> Any:
    return _load(_write("pack.yaml", PACK_HEAD + "params:\n  x: &a [1, *a]\n"))


@case("pack.syntax", located=True)
def yaml_alias_of_a_scalar() -> Any:
    return _load(_write("pack.yaml", PACK_HEAD + "params:\n  x: &a 5\n  y: *a\n"))


@case("pack.too-deep", located=True)
def yaml_deep_block_nesting() -> Any:
    body = "".join("  " * i + "a:\n" for i in range(1, 400)) + "  " * 400 + "a: 1\n"
    return _load(_write("pack.yaml", PACK_HEAD + "params:\n" + body))


@case("pack.syntax", located=True)
def yaml_100000_brackets() -> Any:
    return _load(_write("pack.yaml", PACK_HEAD + "params:\n  x: " + "[" * 100_000 + "\n"))


@case("pack.too-large")
def pack_file_of_5_mb() -> Any:
    return _load(_write("pack.yaml", PACK_HEAD + "description: " + "x" * 5_000_000 + "\n"))


# --- 5. extends -----------------------------------------------------------------------------------

SECRET = '{"user": "root", "password": "hunter2"}'


def _no_secret(outcome: dict[str, Any]) -> None:
    assert "hunter2" not in outcome["text"] and "password" not in outcome["text"], outcome["text"]


@case("pack.not-a-pack", located=True, check=_no_secret)
def extends_reads_a_secret_beside() -> Any:
    top = _dir()
    _write("secret/creds.json", SECRET, top)
    overlay = _write("overlay/pack.yaml", PACK_HEAD + "extends: ../secret/creds.json\n", top)
    return _load(overlay)


@case("pack.not-a-pack", located=True, check=_no_secret)
def extends_a_yaml_secret_with_pack_like_keys() -> Any:
    top = _dir()
    _write("secret/creds.yaml", "user: root\npassword: hunter2\npackage: x\n", top)
    overlay = _write("overlay/pack.yaml", PACK_HEAD + "extends: ../secret/creds.yaml\n", top)
    return _load(overlay)


@case("overlay.outside-root", located=True, check=_no_secret)
def extends_an_absolute_path() -> Any:
    secret = _write("creds.json", SECRET)
    return _load(_write("pack.yaml", PACK_HEAD + f"extends: {secret}\n"))


@case("overlay.outside-root", located=True)
def extends_leaves_the_root_the_caller_set() -> Any:
    top = _dir()
    _write("elsewhere/pack.yaml", PACK_HEAD.replace("hostile", "base"), top)
    overlay = _write("root/overlay/pack.yaml", PACK_HEAD + "extends: ../../elsewhere\n", top)
    return _load(overlay, root=top / "root")


@case("overlay.outside-root", located=True)
def extends_through_a_symlink_out_of_the_root() -> Any:
    top = _dir()
    _write("outside/pack.yaml", PACK_HEAD.replace("hostile", "base"), top)
    (top / "root").mkdir()
    os.symlink(top / "outside", top / "root" / "base")
    overlay = _write("root/overlay/pack.yaml", PACK_HEAD + "extends: ../base\n", top)
    return _load(overlay, root=top / "root")


@case(None)
def extends_a_sibling_pack_directory() -> Any:
    top = _dir()
    _write("base/pack.yaml", PACK_HEAD.replace("hostile", "base"), top)
    return _load(_write("overlay/pack.yaml", PACK_HEAD + "extends: ../base\n", top))


@case(None)
def extends_an_absolute_path_inside_the_root() -> Any:
    top = _dir()
    base = _write("base/pack.yaml", PACK_HEAD.replace("hostile", "base"), top)
    return _load(_write("overlay/pack.yaml", PACK_HEAD + f"extends: {base}\n", top), root=top)


# --- 6. duplicate keys in JSON --------------------------------------------------------------------


@case("pack.duplicate-key", located=True)
def json_duplicate_key() -> Any:
    text = '{"pack": "hostile", "version": "1", "title": "t", "params": {"a": 1, "a": 2}}'
    return _load(_write("pack.json", text))


# --- 7. one bad line must not stop the batch ------------------------------------------------------

GOOD_LINE = (
    b'{"id": "good", "type": "voltage.measured", "at": "2024-06-03T21:10:00+08:00", '
    b'"nominal_v": 220, "phases": 1, "v": 300}'
)


def _cli(argv: list[str], stdin: bytes = b"") -> dict[str, Any]:
    from svcrules.cli.commands import main

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, as a pipe is
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    out.flush()
    err.flush()
    stdout = out.buffer.getvalue().decode()
    stderr = err.buffer.getvalue().decode()
    return {"exit": code, "stdout": stdout, "stderr": stderr}


def _batch_goes_on(expected_code: str) -> Callable[[dict[str, Any]], None]:
    def check(outcome: dict[str, Any]) -> None:
        import json

        result = outcome["value"]
        lines = [json.loads(line) for line in result["stdout"].splitlines()]
        assert [r["kind"] for r in lines] == ["rejection", "decision"], lines
        assert lines[0]["errors"][0]["code"] == expected_code, lines[0]
        assert lines[1]["event_id"] == "good" and lines[1]["violations"], lines[1]
        assert "events: 2, decisions: 1, rejections: 1" in result["stderr"], result["stderr"]
        assert "Traceback" not in result["stderr"]
        assert result["exit"] == 1

    return check


def _eval_lines(bad: bytes) -> dict[str, Any]:
    return _cli(["eval", "power-grid", "-"], bad + b"\n" + GOOD_LINE + b"\n")


@case(None, check=_batch_goes_on("event.bad-value"))
def cli_5000_digit_integer() -> Any:
    return _eval_lines(b'{"type": "voltage.measured", "phases": ' + b"9" * 5000 + b"}")


@case(None, check=_batch_goes_on("event.bad-json"))
def cli_line_of_100000_brackets() -> Any:
    return _eval_lines(b"[" * 100_000)


@case(None, check=_batch_goes_on("event.bad-json"))
def cli_invalid_utf8() -> Any:
    return _eval_lines(b'{"id": "\xff\xfe", "type": "voltage.measured"}')


@case(None, check=_batch_goes_on("event.bad-json"))
def cli_lone_surrogate_id() -> Any:
    line = GOOD_LINE.replace(b'"good"', b'"\\ud800"')
    return _eval_lines(line)


@case(None, check=_batch_goes_on("event.bad-value"))
def cli_observed_1e5000() -> Any:
    return _eval_lines(GOOD_LINE.replace(b'"v": 300', b'"v": 1e5000'))


@case(None, check=_batch_goes_on("event.bad-value"))
def cli_phases_1e999999999() -> Any:
    return _eval_lines(GOOD_LINE.replace(b'"phases": 1', b'"phases": 1e999999999'))


@case(None, check=_batch_goes_on("event.bad-value"))
def cli_nan_literal() -> Any:
    return _eval_lines(GOOD_LINE.replace(b'"v": 300', b'"v": NaN'))


@case(None, check=_batch_goes_on("event.too-large"))
def cli_line_of_2_mb() -> Any:
    return _eval_lines(b'{"pad": "' + b"x" * 2_000_000 + b'"}')


def _table_is_clean(outcome: dict[str, Any]) -> None:
    result = outcome["value"]
    assert "\x1b" not in result["stdout"] and "\\x1b" in result["stdout"], result["stdout"]
    assert "events: 2, decisions: 1, rejections: 1" in result["stderr"], result["stderr"]


@case(None, check=_table_is_clean)
def cli_table_escapes_control_characters() -> Any:
    line = GOOD_LINE.replace(b'"good"', b'"\\u001b[2J\\nfake"')
    return _cli(["eval", "power-grid", "-", "--format", "table"], b"[[\n" + line + b"\n")


# --- 8. mislabelled errors ------------------------------------------------------------------------


@case("pack.too-deep")
def json_pack_100000_deep() -> Any:
    text = '{"pack": "hostile", "params": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    return _load(_write("pack.json", text))


@case("pack.too-deep")
def toml_pack_100000_deep() -> Any:
    text = 'pack = "hostile"\n[params]\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n"
    return _load(_write("pack.toml", text))


@case("pack.too-deep")
def mapping_pack_100000_deep() -> Any:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    return _load({"pack": "hostile", "version": "1", "title": "t", "params": {"x": deep}})


@case("field.default", located=True)
def int_field_with_default_abc() -> Any:
    pack = (
        PACK_HEAD + "events:\n  thing.happened:\n    fields:\n      n: {type: int, default: abc}\n"
    )
    return _load(_write("pack.yaml", pack))


@case("pack.bad-number", located=True)
def int_field_with_default_nan() -> Any:
    pack = (
        PACK_HEAD + "events:\n  thing.happened:\n    fields:\n      n: {type: int, default: .nan}\n"
    )
    return _load(_write("pack.yaml", pack))


@case("pack.bad-number")
def mapping_int_field_with_default_infinity() -> Any:
    fields = {"n": {"type": "int", "default": float("inf")}}
    return _load(
        {
            "pack": "h",
            "version": "1",
            "title": "t",
            "events": {"thing.happened": {"fields": fields}},
        }
    )


@case("event.resource-limit")
def memory_error_while_evaluating() -> Any:
    class Exhausting(dict[str, Any]):
        def get(self, *args: Any) -> Any:
            raise MemoryError

    return shared_engine().evaluate(Exhausting(VOLTAGE)).to_dict()


# --- 9. terminal safety ---------------------------------------------------------------------------


def _explain_is_clean(outcome: dict[str, Any]) -> None:
    result = outcome["value"]
    assert result["exit"] == 0, result
    assert "\x1b" not in result["stdout"] and "\\x1b[31m" in result["stdout"], result["stdout"]
    assert "\\nforged" in result["stdout"], result["stdout"]


@case(None, check=_explain_is_clean)
def explain_escapes_pack_strings() -> Any:
    rule = (
        '  - id: r\n    on: thing.happened\n    cite: {doc: d, note: "\\e[31mred\\nforged"}\n'
        '    title: "\\e[31m"\n    when: "case == \'x\'"\n'
        '    escalate: {to: "boss\\e[31m\\nforged"}\n'
    )
    return _cli(["explain", str(_write("pack.yaml", _rule_pack(rule)))])


# --- 10. odd API input ----------------------------------------------------------------------------


@case("engine.bad-argument")
def engine_of_none() -> Any:
    return repr(_engine(None))


@case("engine.bad-argument")
def engine_of_42() -> Any:
    return repr(_engine(42))


@case("engine.bad-argument")
def engine_calendars_list() -> Any:
    import svcrules

    return repr(svcrules.Engine("power-grid", calendars=[1]))  # type: ignore[arg-type]


@case("engine.bad-argument")
def evaluate_many_of_none() -> Any:
    return list(shared_engine().evaluate_many(None))


@case("expr.syntax", located=True)
def raw_cr_in_a_triple_quoted_literal() -> Any:
    import json

    rule = {
        "id": "r",
        "on": "thing.happened",
        "cite": {"doc": "d"},
        "when": 'case == """a\rb"""',
        "escalate": {"to": "boss"},
    }
    pack = {
        "pack": "hostile",
        "version": "1",
        "title": "t",
        "sources": {"d": {"title": "d"}},
        "events": {"thing.happened": {"fields": {"case": {"type": "string"}}}},
        "rules": [rule],
    }
    return _load(_write("pack.json", json.dumps(pack, indent=1)))


@case("event.missing-field")
def missing_before_field() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        "    deadline: {clock: c, within: 3, unit: days, before: when_due}\n"
    )
    return _evaluate_with(_rule_pack(rule))


@case("expr.too-large", located=True)
def expr_literal_1e999999999() -> Any:
    rule = (
        "  - id: r\n    on: thing.happened\n    cite: {doc: d}\n"
        '    when: "n < 1e999999999"\n    escalate: {to: boss}\n'
    )
    return _evaluate_with(_rule_pack(rule))
