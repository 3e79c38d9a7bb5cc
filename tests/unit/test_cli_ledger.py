"""`svcrules eval --ledger`: decisions with statuses and retractions, the closing summary after
`--now`, a durable `--db` reopened by a second run, and counts that still add up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENTS = [
    {
        "id": "f1",
        "type": "fault.reported",
        "at": "2024-06-03T10:00:00+08:00",
        "case": "F1",
        "area": "urban",
    },
    {
        "id": "f2",
        "type": "fault.reported",
        "at": "2024-06-03T10:20:00+08:00",
        "case": "F\x1b2",
        "area": "rural",
    },
    {"id": "c1", "type": "crew.arrived", "at": "2024-06-03T10:40:00+08:00", "case": "F1"},
    {
        "id": "f1",
        "type": "fault.reported",
        "at": "2024-06-03T10:00:00+08:00",
        "case": "F1",
        "area": "urban",
    },
    {
        "id": "f1",
        "type": "fault.reported",
        "at": "2024-06-03T10:00:00+08:00",
        "case": "F1",
        "area": "rural",
    },
]
NOW = "2024-06-03T12:00:00+08:00"


def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svcrules", "eval", "power-grid", "-", "--ledger", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def lines(events: Sequence[Mapping[str, object]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events) + "not json\n"


def test_json_decisions_then_now_then_open_clocks() -> None:
    r = run("--now", NOW, stdin=lines(EVENTS))
    assert r.returncode == 1  # the conflicting duplicate and the bad line
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert "events: 6, decisions: 4, rejections: 2" in r.stderr
    decisions, now, summary = out[:6], out[6], out[7:]
    assert [d.get("kind") for d in decisions] == ["decision"] * 4 + ["rejection"] * 2
    assert [d["status"] for d in decisions[2]["deadlines"]] == ["met"]
    assert decisions[3]["deadlines"] == []  # the same event again: a no-op
    assert decisions[4]["errors"][0]["code"] == "event.conflicting-duplicate"
    assert now["now"] == NOW
    assert sorted((d["case"], d["clock"]) for d in now["deadlines"]) == sorted(
        [("F1", "dispatch"), ("F\x1b2", "arrival"), ("F\x1b2", "dispatch")]
    )
    assert {s["clock"]["status"] for s in summary} == {"breached"}
    assert len(summary) == 3


def test_table_shows_statuses_retractions_and_escapes(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    first = run(
        "--db",
        str(db),
        "--now",
        "2024-06-03T10:50:00+08:00",
        "--format",
        "table",
        stdin=lines(EVENTS[:2]),
    )
    assert "deadline arrival breached" in first.stdout
    assert "F\\x1b2" in first.stdout and "\x1b" not in first.stdout
    assert "clocks open or breached at 2024-06-03T10:50:00+08:00:" in first.stdout
    second = run("--db", str(db), "--format", "table", stdin=lines(EVENTS[2:4]))
    out = second.stdout
    assert "deadline arrival met" in out
    assert "retracted: deadline arrival breached" in out  # the store kept the breach
    assert "events: 3, decisions: 2, rejections: 1" in second.stderr


def test_now_and_db_need_ledger() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "svcrules", "eval", "power-grid", "-", "--now", NOW],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 2 and "--ledger" in r.stderr


def test_a_foreign_db_is_a_located_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello " * 200)
    r = run("--db", str(junk), stdin="")
    assert r.returncode == 1
    assert f"{junk}: error[store.unreadable] $.store" in r.stderr
