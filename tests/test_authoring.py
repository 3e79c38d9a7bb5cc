"""Authoring without glue code: the pytest plugin collects a template pack repository's cases
(run through pytester), and the hypothesis example in docs/authoring.md runs here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import svcrules
from svcrules.testing.strategies import events

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "template"


def _repo(pytester: pytest.Pytester) -> Path:
    root = pytester.path / "fault-desk"
    shutil.copytree(TEMPLATE, root)
    return root


def test_plugin_collects_one_item_per_case(pytester: pytest.Pytester) -> None:
    _repo(pytester)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*cases/arrival.yaml::fault-desk: urban arrival is due 45 minutes after *PASSED*"]
    )


def test_plugin_failure_is_a_readable_diff(pytester: pytest.Pytester) -> None:
    root = _repo(pytester)
    cases = root / "cases" / "arrival.yaml"
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("13:55:00Z", "13:56:00Z"), encoding="utf-8"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*deadlines: no item matches*closest:*",
            "*due: expected '2024-06-03T13:56:00Z', got '2024-06-03T21:55:00+08:00'*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_plugin_reports_invalid_cases_and_broken_packs(pytester: pytest.Pytester) -> None:
    root = _repo(pytester)
    (root / "cases" / "bad.yaml").write_text(
        "cases:\n  - name: singular\n    event: {id: a, type: crew.arrived, "
        "at: '2024-06-03T21:40:00+08:00'}\n    expect: {deadline: []}\n",
        encoding="utf-8",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "singular")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*bad.yaml:4:14: error[[]case.unknown-key[]] $.cases[[]0].expect.deadline*",
            "*did you mean 'deadlines'?*",
        ]
    )
    pack = root / "pack.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("title:", "titel:"), "utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*the pack does not load:", "*pack.yaml:4:1: error[[]schema.unknown-key[]] $.titel*"]
    )


ENGINE = svcrules.Engine(TEMPLATE)


@settings(max_examples=60, deadline=None)
@given(events(ENGINE.packs[0]))
def test_generated_events_are_valid(event: dict[str, Any]) -> None:
    ENGINE.evaluate(event)  # raises EventError on an invalid event


def test_every_field_type_is_generated() -> None:
    pack = svcrules.load_pack(
        {
            "pack": "all",
            "version": "1",
            "title": "all field types",
            "events": {
                "a.b": {
                    "fields": {
                        t: {"type": t, "required": t in ("int", "enum")}
                        | ({"values": ["x", "y"]} if t == "enum" else {})
                        for t in ("string", "int", "number", "bool", "datetime", "date", "enum")
                    }
                    | {"items": {"type": "list"}}
                }
            },
        }
    )
    engine = svcrules.Engine(pack)
    seen: set[str] = set()

    @settings(max_examples=80, deadline=None)
    @given(events(pack, types=["a.b"]))
    def check(event: dict[str, Any]) -> None:
        assert "int" in event and event["enum"] in ("x", "y")
        engine.evaluate(event)  # valid: no EventError
        seen.update(event)

    check()
    assert {"string", "number", "bool", "datetime", "date", "items"} <= seen
    with pytest.raises(ValueError, match="no event type"):
        events(pack, types=["a.c"])


def test_the_documented_property_example_runs() -> None:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "given" in b]
    namespace: dict[str, Any] = {}
    exec(
        compile(
            block.replace('Path("fault-desk")', f"Path({str(TEMPLATE)!r})"), "authoring.md", "exec"
        ),
        namespace,
    )
    namespace["test_every_fault_report_gets_exactly_one_arrival_deadline"]()
