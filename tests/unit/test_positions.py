"""Positions of diagnostics inside the file: expressions in block scalars (folded `>` and
literal `|`), over several lines, with escapes; multi-line expressions that parse and evaluate;
and TOML packs, whose keys and values get a line and column too."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import svcrules
from svcrules import PackError
from svcrules.diagnostics import Diagnostic

HEAD = """\
pack: demo
version: "1"
title: t
events:
  a.b:
    fields:
      area: {type: string}
      n: {type: int}
rules:
  - id: r
    "on": a.b
    cite: {doc: d}
"""
"""Line 13 of every pack below is the rule's `when` (or what follows the head)."""

TAIL = "    escalate: {to: lead}\n"


def _problem(tmp_path: Path, text: str, name: str = "pack.yaml") -> Diagnostic:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as err:
        svcrules.load_pack(path)
    (d,) = err.value.diagnostics
    assert d.file == str(path)
    return d


def _at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of ``needle`` in ``text``."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1


@pytest.mark.parametrize(
    "when",
    [
        "    when: >\n      area == 'x' and\n      n > 3 and\n      arae == 'y'\n",
        "    when: |\n      area == 'x'\n      and n > 3\n      or arae == 'y'\n",
        "    when: |-  # a comment with arae in it\n      area == 'x'\n\n      or arae == 'y'\n",
        "    when: >+\n      (area == 'x'\n        or n > 3)\n      and arae == 'y'\n\n",
        "    when: \"area == 'x'\n      and arae == 'y'\"\n",
        "    when: area == 'x'\n      and arae == 'y'\n",
        "    when: 'area == ''x''\n      and arae == ''y'''\n",
        '    when: "area == \\"x\\" and arae == \\"y\\""\n',
    ],
    ids=["folded", "literal", "literal-strip", "folded-keep", "double", "plain", "single", "esc"],
)
def test_an_expression_error_points_at_its_character(tmp_path: Path, when: str) -> None:
    text = HEAD + when + TAIL
    d = _problem(tmp_path, text)
    assert d.code == "expr.unknown-name"
    # the `arae` after the comment of the block header, where there is one
    assert (d.line, d.column) == _at(text, "arae", nth=text.count("arae") - 1)


def test_a_syntax_error_in_line_three_of_a_literal_block(tmp_path: Path) -> None:
    text = HEAD + "    when: |\n      area == 'x'\n      or n > 3\n      or n >> 2\n" + TAIL
    d = _problem(tmp_path, text)
    assert d.code == "expr.operator"
    assert (d.line, d.column) == _at(text, "n >> 2")


def test_a_multi_line_expression_parses_and_evaluates(tmp_path: Path) -> None:
    text = (
        HEAD
        + (
            "    when: |\n"
            "      area == 'x'  # the urban case\n"
            "      or (n > 3\n"
            "          and n < 10)\n"
        )
        + TAIL
    )
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    engine = svcrules.Engine(path)
    at = dt.datetime(2024, 6, 3, 9, tzinfo=dt.UTC)

    def fires(**fields: object) -> bool:
        return bool(engine.evaluate({"type": "a.b", "at": at, **fields}).escalations)

    assert fires(area="x") and fires(area="y", n=5)
    assert not fires(area="y", n=11) and not fires(area="y", n=2)


def test_json_escapes_are_counted(tmp_path: Path) -> None:
    rule = {"id": "r", "on": "a.b", "cite": {"doc": "d"}, "escalate": {"to": "lead"}}
    rule["when"] = 'area == "x\\"" and arae == "y"'
    pack = {
        "pack": "demo",
        "version": "1",
        "title": "t",
        "events": {"a.b": {"fields": {"area": {"type": "string"}}}},
        "rules": [rule],
    }
    text = json.dumps(pack, indent=1)
    d = _problem(tmp_path, text, "pack.json")
    assert (d.line, d.column) == _at(text, "arae")


TOML = """\
# a pack in TOML
pack = "demo"
version = "1"
title = \"\"\"several
lines\"\"\"

[params]
reply_days = 3

[events."a.b".fields.area]
type = "string"

[[rules]]
id = "r0"
on = "a.b"
cite = {doc = "d"}
escalate = {to = "lead"}

[[rules]]
id = "r1"
on = ["a.b",
  "a.b"]
cite = { doc = "d" }
when = "area == 'x' and arae == 'y'"
deadline.clock = "c"
deadline.within = 3
deadline.unit = "days"
"""


@pytest.mark.parametrize(
    ("old", "new", "code", "needle"),  # schema problems at their key, as in YAML
    [
        ("", "", "expr.unknown-name", "arae"),
        (
            'cite = { doc = "d" }',
            'cite = { doc = "d", artcle = "3" }',
            "schema.unknown-key",
            "artcle",
        ),
        ('unit = "days"', 'unit = "day"', "schema.bad-value", 'unit = "day"'),
        ("within = 3", 'within = "params.reply_dayz"', "expr.unknown-param", "reply_dayz"),
        ("reply_days = 3", "reply_days = 3\nReplyDays = 4", "schema.bad-name", "ReplyDays"),
        ('id = "r0"', 'id = "r0"\nseverity = "fatal"', "schema.bad-value", "severity"),
    ],
)
def test_toml_diagnostics_have_line_and_column(
    tmp_path: Path, old: str, new: str, code: str, needle: str
) -> None:
    text = TOML.replace(old, new) if old else TOML
    if code != "expr.unknown-name":
        text = text.replace(" and arae == 'y'", "")
    d = _problem(tmp_path, text, "pack.toml")
    assert d.code == code
    assert (d.line, d.column) == _at(text, needle)


def test_toml_positions_of_tables_and_arrays_of_tables() -> None:
    from svcrules.pack.tomlpos import toml_positions

    keys, values = toml_positions(TOML)
    assert (keys["$.rules[1]"].line, keys["$.rules[1].id"].line) == (19, 20)
    assert values["$.rules[1].on[1]"].line == 22
    assert keys['$.events["a.b"].fields.area.type'].line == 11
    assert values["$.title"].line == 4


def test_an_unfollowable_toml_text_falls_back_to_paths() -> None:
    """The scanner stops where it cannot follow, keeping what it found; it never raises."""
    from svcrules.pack.tomlpos import toml_positions

    keys, _ = toml_positions('pack = "x"\n[oops\nkey = 1\n')
    assert keys["$.pack"].line == 1 and "$.oops.key" not in keys
    assert toml_positions("") == ({}, {})
