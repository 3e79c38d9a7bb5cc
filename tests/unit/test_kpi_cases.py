"""KPI cases: `stream` + `expect.kpis` in a case file — a wrong figure fails with the KPI, the
period and the key that differs; values compare to the places written; the shape is checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from svcrules.testing import run_cases
from svcrules.testing.spec import validate_case

ROOT = Path(__file__).resolve().parents[2]
EVENTS = [{"id": "p1", "type": "plant.inquiry_received", "at": "2025-01-02T10:00:00+08:00",
           "case": "P1"}]  # fmt: skip


def _pack(tmp_path: Path, cases: str, stream: str | None = None) -> Path:
    root = tmp_path / "power-grid-dispatch"
    shutil.copytree(ROOT / "policies" / "power-grid-dispatch", root)
    for old in (root / "cases").glob("*"):
        old.unlink()
    (root / "cases" / "kpis.yaml").write_text(cases, encoding="utf-8")
    if stream is not None:
        (tmp_path / "events.jsonl").write_text(stream, encoding="utf-8")
    return root


def _line(i: str, etype: str, at: str, case: str) -> str:
    return json.dumps({"id": i, "type": etype, "at": at, "case": case}) + "\n"


STREAM = (
    _line("a", "plant.inquiry_received", "2025-01-02T10:00:00+08:00", "A")
    + _line("b", "plant.inquiry_answered", "2025-01-03T10:00:00+08:00", "A")
    + "\n"
    + _line("c", "plant.inquiry_received", "2025-01-02T10:00:00", "C")
    + _line("d", "plant.inquiry_received", "2025-01-02T11:00:00+08:00", "D")
)
"""A met, D breached by the end of January; C has a naive time and is skipped."""


def case(expect: str) -> str:
    return (
        "cases:\n"
        "  - name: k\n"
        "    stream: ../../events.jsonl\n"
        '    now: "2025-02-01T00:00:00+08:00"\n'
        f"    expect: {{kpis: [{expect}]}}\n"
    )


def test_a_stream_case_passes_with_the_right_figures(tmp_path: Path) -> None:
    want = (
        '{kpi: plant-inquiry-on-time, period: "2025-01", numerator: 1, denominator: 2, '
        'value: "0.50", met: false}'
    )
    report = run_cases(_pack(tmp_path, case(want), STREAM))
    assert [r.problems for r in report.results] == [()]


@pytest.mark.parametrize(
    ("want", "problem"),
    [
        (
            '{kpi: plant-inquiry-on-time, period: "2025-01", numerator: 2}',
            "kpis: plant-inquiry-on-time 2025-01: numerator expected 2, got 1",
        ),
        (
            '{kpi: plant-inquiry-on-time, period: "2025-01", value: "0.4"}',
            "kpis: plant-inquiry-on-time 2025-01: value expected '0.4', got '0.5'",
        ),
        (
            '{kpi: plant-inquiry-on-time, period: "2025-01", met: true}',
            "kpis: plant-inquiry-on-time 2025-01: met expected True, got False",
        ),
        (
            '{kpi: plant-inquiry-on-time, period: "2025-02", value: "0.5"}',
            "kpis: plant-inquiry-on-time 2025-02: value expected '0.5', got None",
        ),
        (
            '{kpi: on-time, period: "2025-01", value: 1}',
            "kpis: no KPI 'on-time' over '2025-01'",
        ),
    ],
)
def test_a_wrong_figure_fails_naming_what_differs(tmp_path: Path, want: str, problem: str) -> None:
    report = run_cases(_pack(tmp_path, case(want), STREAM))
    assert [r.problems for r in report.results] == [(problem,)]


def test_a_missing_stream_is_a_failed_case_not_a_crash(tmp_path: Path) -> None:
    report = run_cases(_pack(tmp_path, case('{kpi: plant-inquiry-on-time, period: "2025-01"}')))
    (result,) = report.results
    assert len(result.problems) == 1
    assert result.problems[0].startswith("stream ../../events.jsonl: cannot be read")


def test_a_bad_period_label_is_reported_as_the_ledger_error(tmp_path: Path) -> None:
    report = run_cases(_pack(tmp_path, case('{kpi: plant-inquiry-on-time, period: "Jan"}'), STREAM))
    (result,) = report.results
    assert "kpi.bad-period" in result.problems[0]


@pytest.mark.parametrize(
    ("raw", "code", "path"),
    [
        (
            {"name": "n", "event": EVENTS[0], "expect": {"kpis": [{"kpi": "k", "period": "2025"}]}},
            "case.shape",
            "$.expect.kpis",
        ),
        (
            {"name": "n", "events": EVENTS, "expect": {"kpis": [{"kpi": "k", "perod": "2025"}]}},
            "case.unknown-key",
            "$.expect.kpis[0].perod",
        ),
        ({"name": "n", "stream": "x.jsonl", "event": EVENTS[0]}, "case.shape", "$"),
    ],
)
def test_case_shape_mistakes_are_located(raw: dict[str, object], code: str, path: str) -> None:
    assert (code, path) in [(d.code, d.path) for d in validate_case(raw)]


def test_a_stream_alone_is_a_ledger_case() -> None:
    assert validate_case({"name": "n", "stream": "x.jsonl", "now": "2025-01-01T00:00:00Z"}) == []
