"""The durable store survives SIGKILL: a child applying a stream to an SQLite store is killed at
random points (seeded) and restarted each time, re-applying the stream from the start; its final
state equals an uninterrupted in-memory run. See docs/ledger.md, "The durable store"."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.ledger_child import ADVANCE_EVERY, NOW, PROGRESS_EVERY, state, stream

import svcrules

CHILD = Path(__file__).with_name("ledger_child.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS = 5

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def reference() -> dict[str, Any]:
    ledger = svcrules.Engine("power-grid").ledger()
    events = stream()
    for i in range(0, len(events), ADVANCE_EVERY):
        chunk = events[i : i + ADVANCE_EVERY]
        for e in chunk:
            ledger.apply(e)
        ledger.advance(max(e["at"] for e in chunk[: len(chunk) // 2]))
    ledger.advance(NOW)
    out: dict[str, Any] = json.loads(json.dumps(state(ledger), default=str))
    return out


def start(db: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_killed_child_restarts_from_its_store_to_the_uninterrupted_state(tmp_path: Path) -> None:
    rng = random.Random(20241108)
    db = tmp_path / "ledger.sqlite"
    marks = len(stream()) // PROGRESS_EVERY
    kills = 0
    for attempt in range(KILLS):
        child = start(db, "one" if attempt % 2 else "many")
        target = rng.randrange(marks)  # 0: killed while reopening the store
        assert child.stdout is not None
        seen = 0
        for line in child.stdout:
            if line.startswith("applied"):
                seen += 1
            if seen >= target:
                break
        time.sleep(rng.uniform(0, 0.02))  # somewhere inside a transaction or a fold
        child.send_signal(signal.SIGKILL)
        child.communicate()
        kills += child.returncode == -signal.SIGKILL
    assert kills >= KILLS - 1, "the child finished before most kills"

    child = start(db, "many")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err[-3000:]
    last = out.strip().splitlines()[-1]
    assert last.startswith("DONE ")
    final = json.loads(last[len("DONE ") :])
    expected = reference()
    assert final["snapshot"] == expected["snapshot"]
    assert final["deadlines"] == expected["deadlines"]
    statuses = {d["status"] for d in final["deadlines"]}
    assert {"met", "breached", "open"} <= statuses  # the stream exercises stops and breaches

    reopened = svcrules.Engine("power-grid").ledger(store=db)  # and once more, in this process
    assert json.loads(json.dumps(state(reopened), default=str)) == expected
    reopened.close()
