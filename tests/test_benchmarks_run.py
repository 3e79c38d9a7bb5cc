"""Smoke test of the benchmarks: each script runs in quick mode, exits 0 and prints its ratios.

No timing is asserted: the machines are shared and noisy, and quick mode's figures mean nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

# script -> lines (substrings) its output must contain
EXPECTED = {
    "bench_rule_matching.py": [
        "RATIO compiled/hand-written (matching, same effects) = ",
        "RATIO evaluate/hand-written-from-raw (full path) = ",
        "RATIO durable_rules/",  # a ratio, or "skipped: reason"
        "RATIO rule-engine",
    ],
    "bench_power_grid.py": [
        "RATIO evaluate/hand-written tuples = ",
        "RATIO evaluate/hand-written same objects = ",
    ],
    "bench_startup.py": [
        "import pydantic",
        "import svcrules + Engine(each built-in pack)",
        "RATIO import svcrules/import pydantic",
    ],
    "bench_calendar.py": ["cost(30)/cost(1)", "holidays(30)/ours(30)"],
    "bench_durable_backend.py": ["RATIO durable backend/compiled evaluate"],  # or "skipped"
    "bench_phrases.py": [
        "RATIO phrases_in cost(1000)/cost(10) = ",
        "RATIO naive cost(1000)/cost(10) = ",
    ],
    "bench_ledger.py": [
        "RATIO apply/evaluate (time per event) = ",
        "RATIO bytes per open clock/1024 = ",
        "RATIO late event cost(",
    ],
    "bench_report_charts.py": ["matplotlib (inline SVG)", "IMPORT pygal", "IMPORT plotly"],
    "bench_dask.py": [
        "RATIO dask_stateless_speedup_2_vs_1 = ",
        "RATIO dask_stateful_speedup_2_vs_1 = ",
        "RATIO eval_parquet_peak_rss_large_vs_small = ",
    ],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SVCRULES_BENCH_QUICK": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_benchmark_runs_and_prints_ratios(script: str) -> None:
    proc = run(str(BENCH / script))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for expected in EXPECTED[script]:
        assert expected in proc.stdout, (expected, proc.stdout)


def test_run_all_runs_a_named_benchmark() -> None:
    proc = run(str(BENCH / "run_all.py"), "bench_power_grid.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "=== summary" in proc.stdout
    assert "bench_power_grid.py: RATIO evaluate/hand-written tuples" in proc.stdout


def test_run_all_rejects_an_unknown_name() -> None:
    proc = run(str(BENCH / "run_all.py"), "bench_nothing.py")
    assert proc.returncode == 2
