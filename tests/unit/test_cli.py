"""The command line, run as a user runs it: exit codes, output shapes, counts."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "power-grid-events.jsonl"
BAD_SAMPLE = ROOT / "examples" / "power-grid-bad-events.jsonl"


def svcrules(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svcrules", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_list_shows_builtin_packs() -> None:
    r = svcrules("list", "--json")
    assert r.returncode == 0
    names = [json.loads(line)["name"] for line in r.stdout.splitlines()]
    assert "power-grid" in names


def test_check_ok_and_broken(tmp_path: Path) -> None:
    assert svcrules("check", "power-grid").returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pack: bad\nversion: '1'\ntitle: t\nrules:\n  - id: x\n    on: a.b\n    cite: {doc: d}\n",
        encoding="utf-8",
    )
    r = svcrules("check", str(bad))
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"{bad}:5:") and "error[rule." in first


def test_eval_counts_always_add_up() -> None:
    lines = [
        json.dumps(
            {
                "id": "1",
                "type": "fault.reported",
                "at": "2024-06-03T21:10:00+08:00",
                "case": "F1",
                "area": "urban",
            }
        ),
        "{not json",
        json.dumps(
            {
                "id": "3",
                "type": "fault.reported",
                "at": "2024-06-03T21:10:00",
                "case": "F1",
                "area": "urban",
            }
        ),
    ]
    r = svcrules("eval", "power-grid", "-", stdin="\n".join(lines) + "\n")
    assert r.returncode == 1  # rejections are event failures
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["kind"] for o in out] == ["decision", "rejection", "rejection"]
    arrival = [d for d in out[0]["deadlines"] if d["clock"] == "arrival"]
    assert arrival[0]["due"] == "2024-06-03T21:55:00+08:00"
    assert out[1]["errors"][0]["code"] == "event.bad-json"
    assert out[2]["errors"][0]["code"] == "event.naive-time"
    assert "events: 3, decisions: 1, rejections: 2" in r.stderr


def test_eval_sample_file_as_table() -> None:
    r = svcrules("eval", "power-grid", str(SAMPLE), "--format", "table")
    assert r.returncode == 0, r.stderr  # the README's first command: every event is valid
    assert "deadline arrival due" in r.stdout and "violation" in r.stdout
    total = sum(1 for line in SAMPLE.read_text().splitlines() if line.strip())
    assert total > 700
    assert f"events: {total}, decisions: {total}, rejections: 0" in r.stderr
    assert "REJECTED" not in r.stdout


def test_eval_bad_events_file_rejects_every_line() -> None:
    r = svcrules("eval", "power-grid", str(BAD_SAMPLE), "--format", "table")
    assert r.returncode == 1, r.stderr
    assert "events: 5, decisions: 0, rejections: 5" in r.stderr
    for code, times in (("event.bad-json", 1), ("event.bad-value", 2), ("event.naive-time", 2)):
        assert r.stdout.count(f"REJECTED {code}") == times, r.stdout


def test_explain_shows_rules_with_locations_and_source() -> None:
    r = svcrules("explain", "power-grid", "--source")
    assert r.returncode == 0, r.stderr
    assert "pack.yaml:" in r.stdout and "cite:" in r.stdout
    assert re.search(r"def on_\d+_fault_reported\(e, out\):", r.stdout)


def test_schema_for_packs_and_events() -> None:
    r = svcrules("schema")
    assert r.returncode == 0
    assert "rules" in json.loads(r.stdout)["properties"]
    r = svcrules("schema", "events", "power-grid")
    titles = {b["title"] for b in json.loads(r.stdout)["oneOf"]}
    assert "fault.reported" in titles


def test_usage_errors_exit_2() -> None:
    assert svcrules().returncode == 2
    assert svcrules("eval", "power-grid", "--format", "xml").returncode == 2


def test_pack_cases_pass() -> None:
    r = svcrules("test", "power-grid")
    assert r.returncode == 0, r.stdout
    assert " passed, 0 failed" in r.stdout


def test_table_output_streams_in_chunks_instead_of_buffering_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from svcrules.cli import commands

    out = io.StringIO()
    n = commands.TABLE_CHUNK * 2 + 5
    line = (
        b'{"type": "voltage.measured", "at": "2024-06-03T21:10:00+08:00", '
        b'"nominal_v": 220, "phases": 1, "v": 221}\n'
    )
    printed_so_far: list[int] = []

    class Events(io.BytesIO):
        def readline(self, size: int | None = -1) -> bytes:
            printed_so_far.append(len(out.getvalue()))
            return super().readline(size)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(Events(line * n)))
    monkeypatch.setattr(sys, "stdout", out)
    assert commands.main(["eval", "power-grid", "-", "--format", "table", "--no-progress"]) == 0
    assert printed_so_far[commands.TABLE_CHUNK + 1] > 0, "rows were held until the input ended"
    assert out.getvalue().count("\n") == n + 1  # the header once, then one row per event


def test_bad_lines_are_rejected_one_by_one_and_the_batch_goes_on() -> None:
    good = (
        b'{"id": "good", "type": "voltage.measured", "at": "2024-06-03T21:10:00+08:00", '
        b'"nominal_v": 220, "phases": 1, "v": 300}'
    )
    bad = [
        b'{"phases": ' + b"9" * 5000 + b"}",
        b"[" * 100_000,
        b'{"id": "\xff"}',
        good.replace(b'"good"', b'"\\ud800"'),
        good.replace(b'"v": 300', b'"v": 1e5000'),
    ]
    r = subprocess.run(
        [sys.executable, "-m", "svcrules", "eval", "power-grid", "-"],
        input=b"\n".join([*bad, good]) + b"\n",
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert b"Traceback" not in r.stderr, r.stderr.decode()
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["kind"] for o in out] == ["rejection"] * 5 + ["decision"]
    assert [o["errors"][0]["code"] for o in out[:5]] == [
        "event.bad-value",
        "event.bad-json",
        "event.bad-json",
        "event.bad-json",
        "event.bad-value",
    ]
    assert b"events: 6, decisions: 1, rejections: 5" in r.stderr
    assert r.returncode == 1
