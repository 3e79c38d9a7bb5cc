"""Case files are a validated format: located `case.*` diagnostics for mistakes, values compared
as values, and `svcrules test -k`, `--junit-xml` and `--fail-under`."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from svcrules.cli import commands
from svcrules.hints import HINTS
from svcrules.testing import run_cases
from svcrules.testing.match import _same
from svcrules.testing.spec import validate_case

TEMPLATE = Path(__file__).resolve().parents[1] / "template"
EVENT = {"id": "t", "type": "crew.arrived", "at": "2024-06-03T21:40:00+08:00", "case": "F1"}


def _repo(tmp_path: Path, cases: str) -> Path:
    root = tmp_path / "fault-desk"
    shutil.copytree(TEMPLATE, root)
    (root / "cases" / "arrival.yaml").write_text(cases, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("case", "code", "path", "hint"),
    [
        (
            {"name": "n", "event": EVENT, "expect": {"deadline": []}},
            "case.unknown-key",
            "$.expect.deadline",
            "did you mean 'deadlines'?",
        ),
        ({"name": "n", "evnet": EVENT}, "case.unknown-key", "$.evnet", "did you mean 'event'?"),
        (
            {"name": "n", "event": EVENT, "expect": {"deadlines": [{"clok": "a"}]}},
            "case.unknown-key",
            "$.expect.deadlines[0].clok",
            "did you mean 'clock'?",
        ),
        ({"event": EVENT}, "case.missing", "$.name", None),
        ({"name": "n", "event": EVENT, "events": [EVENT]}, "case.shape", "$", None),
        ({"name": "n", "event": EVENT, "now": "2024-06-04T00:00:00Z"}, "case.shape", "$.now", None),
        (
            {"name": "n", "event": EVENT, "expect": {"signals": "stop a"}},
            "case.bad-type",
            "$.expect.signals",
            None,
        ),
        (
            {"name": "n", "event": EVENT, "expect_error": {"cod": "x"}},
            "case.unknown-key",
            "$.expect_error.cod",
            "did you mean 'code'?",
        ),
    ],
)
def test_case_mistakes_are_specific(
    case: dict[str, object], code: str, path: str, hint: str | None
) -> None:
    found = [(d.code, d.path, d.hint) for d in validate_case(case)]
    # without a specific hint, the code's general fix (svcrules.hints)
    assert (code, path, hint or HINTS[code]) in found


def test_every_shipped_case_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("policies/*/cases/*.yaml"), *root.glob("examples/*/cases/*.yaml")]
    assert files
    from svcrules.testing.cases import load_cases

    bad = [c for f in files for c in load_cases(f) if c.problems]
    assert not bad, bad[0].problems


def test_a_bad_case_is_located_and_fails_alone(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        "cases:\n"
        "  - name: ok\n"
        "    event: {id: a, type: crew.arrived, at: '2024-06-03T21:40:00+08:00'}\n"
        "    expect: {signals: ['stop arrival']}\n"
        "  - name: singular\n"
        "    event: {id: a, type: crew.arrived, at: '2024-06-03T21:40:00+08:00'}\n"
        "    expect:\n"
        "      deadline: []\n",
    )
    report = run_cases(root)
    assert [r.ok for r in report.results] == [True, False]
    (problem,) = report.results[1].problems
    assert "cases/arrival.yaml:8:7: error[case.unknown-key] $.cases[1].expect.deadline" in problem
    assert "did you mean 'deadlines'?" in problem


def test_values_compare_as_values() -> None:
    assert _same(0.12, "0.120")
    assert _same(Decimal("0.12"), Decimal("0.120"))
    assert _same("7.27", Decimal("7.270"))
    assert not _same(0.12, "0.121")
    assert _same("2024-06-03T13:55:00Z", "2024-06-03T21:55:00+08:00")
    assert not _same("2024-06-03T13:55:00Z", "2024-06-03T13:55:00+08:00")
    assert not _same(True, 1)
    assert _same("hard", "hard")


def test_cli_select_junit_and_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xml = tmp_path / "junit.xml"
    argv = ["test", str(TEMPLATE), "-k", "crew", "--junit-xml", str(xml)]
    assert commands.main(argv) == 0
    out = capsys.readouterr().out
    assert "1 passed, 0 failed" in out
    assert "fault-desk: 1/3 rules exercised (33.3%)" in out
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "1"
    names = [tc.get("name") for tc in suite.iter("testcase")]
    assert names == ["the crew's arrival stops the clock"]
    assert commands.main([*argv, "--fail-under", "50"]) == 1
    assert "coverage below 50%: fault-desk" in capsys.readouterr().out
    assert commands.main(["test", str(TEMPLATE), "--fail-under", "100"]) == 0


def test_junit_reports_failures(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        "cases:\n"
        "  - name: wrong due\n"
        "    event: {id: a, type: fault.reported, at: '2024-06-03T10:00:00+08:00', area: urban}\n"
        "    expect: {deadlines: [{rule: arrival, due: '2024-06-03T10:46:00+08:00'}]}\n",
    )
    xml = tmp_path / "j.xml"
    assert commands.main(["test", str(root), "--junit-xml", str(xml)]) == 1
    failure = ET.parse(xml).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert "due: expected '2024-06-03T10:46:00+08:00', got '2024-06-03T10:45:00+08:00'" in (
        failure.text or ""
    )
