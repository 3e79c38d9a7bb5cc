"""`svcrules report --format json`: the figures of each example stream against counts made here
from the ledger's own `deadlines()` and `kpis()`; the same report from a SQLite store and from an
outcome table; bad inputs as located `report.*` errors."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from tests.scale_events import sample

import svcrules
from svcrules.cli import main
from svcrules.report import ReportError, from_ledger, render_html
from svcrules.report.periods import overlaps, select_months
from svcrules.report.table import NO_EXPLAIN, NOTE_EXPLAIN, NOTE_STATELESS
from svcrules.scale.frame import apply_rows, evaluate_rows
from svcrules.scale.rows import table_of

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-11-01T00:00:00+08:00"
PACKS = ("power-grid", "resident-staff", "telecom-field-service")


def events_path(pack: str) -> str:
    return str(ROOT / "examples" / f"{pack}-events.jsonl")


def report_json(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    assert main(["report", *args, "--format", "json", "--out", str(out)]) == 0
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def folded(pack: str) -> tuple[svcrules.Engine, svcrules.Ledger]:
    engine = svcrules.Engine(pack)
    ledger = engine.ledger()
    for event in sample(pack):
        with contextlib.suppress(svcrules.EventError):  # the sample's malformed lines
            ledger.apply(event)
    ledger.advance(NOW)
    return engine, ledger


@pytest.mark.parametrize("pack", PACKS)
def test_on_time_counts_match_the_ledgers_own_deadlines(pack: str, tmp_path: Path) -> None:
    data = report_json(tmp_path, pack, events_path(pack), "--now", NOW)
    _, ledger = folded(pack)
    zone = ZoneInfo(svcrules.load_pack(pack).spec.timezone)
    counted: Counter[tuple[str, str, str]] = Counter()
    for dl in ledger.deadlines():
        counted[(dl.clock, dl.due.astimezone(zone).strftime("%Y-%m"), dl.status)] += 1
    assert data["on_time"], "every example has clocks closed"
    for cell in data["on_time"]:
        key = (cell["clock"], cell["month"])
        assert cell["met"] == counted[(*key, "met")], cell
        assert cell["breached"] == counted[(*key, "breached")], cell
        assert cell["open"] == counted[(*key, "open")] + counted[(*key, "paused")], cell
        closed = cell["met"] + cell["breached"]
        if closed:
            assert abs(float(cell["rate"]) - cell["met"] / closed) < 1e-4
    shown = sum(c["breached"] for c in data["on_time"])
    breached = sum(
        n
        for (_, month, status), n in counted.items()
        if status == "breached" and month in data["months"]
    )
    assert shown == breached == len(data["breaches"])
    running = [d for d in ledger.deadlines() if d.status in ("open", "paused")]
    assert len([c for c in data["clocks"] if c["status"] != "breached"]) == len(running)


@pytest.mark.parametrize("pack", PACKS)
def test_kpis_are_the_ledgers_and_each_cites_its_clause(pack: str, tmp_path: Path) -> None:
    data = report_json(tmp_path, pack, events_path(pack), "--now", NOW)
    _, ledger = folded(pack)
    expected = [k.to_dict() for k in ledger.kpis() if overlaps(k.period, data["months"])]
    assert data["kpis"] == json.loads(json.dumps(expected, ensure_ascii=False))
    assert data["kpis"] and all(k["cite"]["doc"] for k in data["kpis"])


def test_every_listed_clock_says_how_its_due_time_was_computed(tmp_path: Path) -> None:
    data = report_json(tmp_path, "power-grid", events_path("power-grid"), "--now", NOW)
    assert data["clocks"]
    for clock in data["clocks"]:
        assert clock["cite"] and clock["explain_data"]["start"] == clock["start"]
        assert " → due " in clock["explain"]
    workdays = [c for c in data["clocks"] if c["explain_data"]["unit"] == "workdays"]
    assert workdays and all("calendar" in c["explain"] for c in workdays)


def test_score_trajectories_and_thresholds_come_from_the_pack(tmp_path: Path) -> None:
    data = report_json(tmp_path, "resident-staff", events_path("resident-staff"), "--now", NOW)
    levels = {t["name"]: t["level"] for t in data["thresholds"]}
    assert levels == {"warning": 70, "at_pass_line": 60, "below_pass": 59}
    assert all(t["cite"] for t in data["thresholds"] if t["name"] != "at_pass_line")
    _, ledger = folded("resident-staff")
    for line in data["scores"]:
        assert line["points"][0][1] == line["base"] == 100  # each period starts at the base
        last_at, last_score = line["points"][-1]
        assert ledger.score(line["subject"], "monthly", at=last_at) == last_score
    assert any(s for _, s in line["points"] if s <= 70) or data["scores"]
    assert "rejected" in data["notes"][0]  # the example's one malformed line, said not hidden


def test_a_store_reports_what_the_stream_reports(tmp_path: Path) -> None:
    from_stream = report_json(tmp_path, "power-grid", events_path("power-grid"), "--now", NOW)
    db = tmp_path / "ledger.db"
    engine = svcrules.Engine("power-grid")
    with engine.ledger(store=db) as ledger:
        list(ledger.apply_many(sample("power-grid")))
        ledger.advance(NOW)
    from_store = report_json(tmp_path, "power-grid", str(db))
    for key in ("source", "input"):
        from_stream.pop(key), from_store.pop(key)
    assert from_store == from_stream
    # --now on a store advances a copy in memory: the store keeps its watermark
    report_json(tmp_path, "power-grid", str(db), "--now", "2026-01-01T00:00:00+08:00")
    with engine.ledger(store=db) as reopened:
        assert reopened.watermark is not None and reopened.watermark.isoformat() == NOW


def test_an_outcome_table_reports_the_ledgers_figures_and_says_what_it_lacks(
    tmp_path: Path,
) -> None:
    pack = "resident-staff"
    engine = svcrules.Engine(pack)
    rows = apply_rows(engine.ledger(), sample(pack), until=NOW).rows()
    table = tmp_path / "outcomes.parquet"
    pq.write_table(table_of(rows), table)
    from_table = report_json(tmp_path, pack, str(table))
    from_stream = report_json(tmp_path, pack, events_path(pack), "--now", NOW)
    assert from_table["source"] == "table"
    for key in ("on_time", "kpis", "thresholds", "months", "scores"):
        assert from_table[key] == from_stream[key], key
    assert [c["case"] for c in from_table["breaches"]] == [
        c["case"] for c in from_stream["breaches"]
    ]
    assert all(c["explain"] == NO_EXPLAIN for c in from_table["clocks"])
    assert NOTE_EXPLAIN in from_table["notes"]


def test_a_stateless_table_says_it_has_no_statuses(tmp_path: Path) -> None:
    engine = svcrules.Engine("power-grid")
    table = tmp_path / "stateless.parquet"
    pq.write_table(table_of(evaluate_rows(engine, sample("power-grid"))), table)
    data = report_json(tmp_path, "power-grid", str(table))
    assert NOTE_STATELESS in data["notes"]
    assert data["on_time"] == [] and data["breaches"] == [] and data["clocks"] == []


def test_period_selection(tmp_path: Path) -> None:
    args = ("power-grid", events_path("power-grid"), "--now", NOW)
    september = report_json(tmp_path, *args, "--period", "2025-09")
    assert september["months"] == ["2025-09"]
    assert {c["month"] for c in september["on_time"]} == {"2025-09"}
    assert all(k["period"] == "2025-09" for k in september["kpis"])
    ranged = report_json(tmp_path, *args, "--from", "2025-08", "--to", "2025-10")
    assert ranged["months"] == ["2025-08", "2025-09", "2025-10"]
    assert select_months([], period="2025-Q3") == ("2025-07", "2025-08", "2025-09")
    assert overlaps("2025-Q3", ["2025-09"]) and not overlaps("2025-Q4", ["2025-09"])
    assert overlaps("2025-W36", ["2025-09"]) and overlaps("2025", ["2025-09"])


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", *args]) == 1
    return capsys.readouterr().err


def test_bad_inputs_are_located_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nothing.jsonl")
    assert f"{missing}: error[report.input-missing]" in _fails(capsys, "power-grid", missing)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    assert "error[report.input-format]" in _fails(capsys, "power-grid", str(notes))
    fake = tmp_path / "fake.parquet"
    fake.write_text("not parquet\n")
    err = _fails(capsys, "power-grid", str(fake))
    assert f"{fake}: error[report.input-format]" in err and "not a Parquet file" in err
    other = tmp_path / "other.parquet"
    pq.write_table(table_of([]).drop_columns(["status"]), other)
    assert "no column status" in _fails(capsys, "power-grid", str(other))
    db = tmp_path / "junk.db"
    db.write_text("not a database" * 100)
    assert "error[store.unreadable]" in _fails(capsys, "power-grid", str(db))
    bad_period = _fails(capsys, "power-grid", events_path("power-grid"), "--period", "2025-13")
    assert "error[report.bad-period]" in bad_period
    assert main(["report", "power-grid"]) == 2  # no INPUT: a usage error


def test_report_error_is_a_svcrules_error_and_the_html_escapes_pack_text() -> None:
    assert issubclass(ReportError, svcrules.SvcrulesError)
    engine, ledger = folded("telecom-field-service")
    data = from_ledger(engine, ledger, source="events", input="<b>x.jsonl")
    page = render_html(data)
    assert "<b>x" not in page and "&lt;b&gt;x.jsonl" in page
    assert "<script" not in page and "<metadata" not in page
    for fetch in ('src="', 'href="http', "url(http", "url(//", "@import", "<link"):
        assert fetch not in page, fetch


def test_chinese_names_stay_text_for_the_pages_cjk_font_list() -> None:
    engine = svcrules.Engine("resident-staff")
    ledger = engine.ledger()
    for event in sample("resident-staff"):
        renamed = {**event, "subject": "张三"} if event.get("subject") == "S1" else event
        with contextlib.suppress(svcrules.EventError):
            ledger.apply(renamed)
    ledger.advance(NOW)
    page = render_html(from_ledger(engine, ledger, source="events", input="事件.jsonl"))
    scores = page[page.index('data-chart="scores monthly"') :]
    assert "<text" in scores and "张三" in scores[: scores.index("</figure>")]  # text, not outlines
    assert "事件.jsonl" in page and "Noto Sans CJK SC" in page and "Microsoft YaHei" in page


def test_report_data_is_an_immutable_value_that_pickles_equal() -> None:
    import dataclasses
    import pickle

    engine, ledger = folded("resident-staff")
    data = from_ledger(engine, ledger, source="events", input="x.jsonl")
    again = pickle.loads(pickle.dumps(data))
    assert again == data and again.to_dict() == data.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.on_time[0].met = 0  # type: ignore[misc]
    assert json.loads(data.to_json())["on_time"][0]["rate"] == data.on_time[0].to_dict()["rate"]


def test_without_matplotlib_html_says_which_extra_and_json_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    events = events_path("telecom-field-service")
    err = _fails(capsys, "telecom-field-service", events, "--out", str(tmp_path / "r.html"))
    assert "error[report.needs-extra]" in err and "svcrules[report]" in err
    assert report_json(tmp_path, "telecom-field-service", events)["kpis"]
