"""Issue 7's standing corpus: every hostile input ends quickly, in bounded memory, in a located
svcrules error (or the documented outcome), never in a hang, a traceback or an ``*.internal``."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.corpus import CASES

ROOT = Path(__file__).resolve().parents[2]
MAX_SECONDS = 2.0
"""The bound on work: CPU seconds of the child that ran the case."""
MAX_WALL_SECONDS = 6.0
"""Wall time may stretch on a loaded 2-core machine; three times the work bound still catches a
case that blocks or sleeps."""
MAX_RSS_MB = 200.0
BATCHES = 2  # the machines have 2 cores


def _run_batch(names: list[str]) -> dict[str, dict[str, Any]]:
    r = subprocess.run(
        [sys.executable, "-m", "tests.hostile.runner", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = {}
    for line in r.stdout.splitlines():
        data = json.loads(line)
        results[data["name"]] = data
    missing = set(names) - set(results)
    assert not missing, f"runner lost cases {sorted(missing)}: {r.stderr[-3000:]}"
    return results


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    names = sorted(CASES)
    batches = [names[i::BATCHES] for i in range(BATCHES)]
    with ThreadPoolExecutor(BATCHES) as pool:
        results: dict[str, dict[str, Any]] = {}
        for part in pool.map(_run_batch, batches):
            results.update(part)
    return results


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, outcomes: dict[str, dict[str, Any]]) -> None:
    case = CASES[name]
    outcome = outcomes[name]
    assert outcome["kind"] not in ("hang", "died", "crash"), outcome
    assert outcome["cpu_seconds"] < MAX_SECONDS, f"took {outcome['cpu_seconds']:.2f} CPU s"
    assert outcome["seconds"] < MAX_WALL_SECONDS, f"took {outcome['seconds']:.2f} s"
    assert outcome["max_rss_mb"] < MAX_RSS_MB, f"peak RSS {outcome['max_rss_mb']:.0f} MB"
    if case.expect is None:
        assert outcome["kind"] == "ok", outcome
    else:
        assert outcome["kind"] == "error", outcome
        assert case.expect in outcome["codes"], outcome["text"]
        assert not any(c.endswith(".internal") for c in outcome["codes"]), outcome["text"]
        if case.located:
            hits = [d for d in outcome["diagnostics"] if d["code"] == case.expect]
            assert all(d["line"] and d["column"] and d["file"] for d in hits), outcome["text"]
        if case.expect.startswith("event."):
            assert outcome["class"] == "EventError"
        elif not case.expect.startswith("engine."):  # evaluate_many's are EventErrors
            assert outcome["class"] in ("PackError", "PackNotFoundError")
    if case.check is not None:
        case.check(outcome)
