"""`svcrules kpis`: the example stream's KPIs over a month as a table against targets, or as
JSON lines equal to Ledger.kpis; a bad period or a missing file is an error, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import svcrules
from svcrules.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]
STREAM = str(ROOT / "examples" / "telecom-field-service-events.jsonl")
NOW = "2025-04-30T00:00:00+08:00"


def test_json_lines_equal_the_ledger_kpis(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["kpis", "telecom-field-service", STREAM, "--period", "2024-05", "--now", NOW]
    assert main([*args, "--format", "json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    ledger = svcrules.Engine("telecom-field-service").ledger()
    for line in Path(STREAM).read_text(encoding="utf-8").splitlines():
        ledger.apply(json.loads(line))
    ledger.advance(NOW)
    assert lines == [k.to_dict() for k in ledger.kpis("2024-05")]
    assert {x["kpi"] for x in lines} >= {"arrival-on-time", "forbidden-phrases"}
    by_id = {x["kpi"]: x for x in lines}  # 1 of 3: exact, and readable
    arrival = by_id["arrival-on-time"]
    assert (arrival["value"], arrival["rounded"], arrival["percent"]) == (
        "0.3333333333333333333333333333",
        "0.3333",
        "33.33",
    )
    phrases = by_id["forbidden-phrases"]
    assert (phrases["value"], phrases["rounded"], phrases["percent"]) == (2, 2, None)


def test_table_shows_values_against_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpis", "telecom-field-service", STREAM, "--period", "2024-05", "--now", NOW]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["arrival-on-time"].split()[1:6] == ["2024-05", "33.3", "%", "1/3", "=="]
    assert "NO" in rows["arrival-on-time"]
    assert rows["forbidden-phrases"].split()[1:5] == ["2024-05", "2", "2", "=="]


def test_bad_period_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["kpis", "telecom-field-service", STREAM, "--period", "May"]) == 1
    assert "kpi.bad-period" in capsys.readouterr().err
    assert main(["kpis", "telecom-field-service", str(tmp_path / "none.jsonl")]) == 2


def test_rejected_lines_are_counted_and_fail_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text('{"id": "x", "type": "visit.scheduled", "at": "2024-05-10T09:00:00"}\n')
    assert main(["kpis", "telecom-field-service", str(events), "--format", "json"]) == 1
    assert "rejections: 1" in capsys.readouterr().err
