"""The SQLite store: reopening replays what was accepted; other packs, formats and files are
refused with located errors; duplicates stay no-ops across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import svcrules

FAULT = {
    "id": "f1",
    "type": "fault.reported",
    "at": "2024-06-03T10:00:00+08:00",
    "case": "F1",
    "area": "urban",
}
CREW = {"id": "c1", "type": "crew.arrived", "at": "2024-06-03T10:40:00+08:00", "case": "F1"}


@pytest.fixture(scope="module")
def engine() -> svcrules.Engine:
    return svcrules.Engine("power-grid")


def test_reopen_gives_the_same_ledger(engine: svcrules.Engine, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    with engine.ledger(store=db) as ledger:
        ledger.apply(FAULT)
        ledger.advance("2024-06-03T10:50:00+08:00")
        before = ledger.snapshot(), ledger.deadlines()
    with engine.ledger(store=str(db)) as again:
        assert (again.snapshot(), again.deadlines()) == before
        assert again.apply(FAULT) == svcrules.Decision(event_id="f1", event_type="fault.reported")
        d = again.apply(CREW)  # the late stop retracts the breach, as without a store
        assert [x.status for x in d.retracted if isinstance(x, svcrules.Deadline)] == ["breached"]
        # and with it the escalation the breach raised (power-grid's ladder, level 1)
        assert [x.to for x in d.retracted if isinstance(x, svcrules.Escalation)] == ["team_lead"]
        with pytest.raises(svcrules.EventError) as info:
            again.apply({**FAULT, "area": "rural"})
        assert info.value.codes == ("event.conflicting-duplicate",)
    memory = engine.ledger()
    memory.apply(FAULT)
    memory.advance("2024-06-03T10:50:00+08:00")
    memory.apply(CREW)
    with engine.ledger(store=db) as third:
        assert third.snapshot() == memory.snapshot()
        assert third.deadlines() == memory.deadlines()


def test_apply_many_commits_in_batches(engine: svcrules.Engine, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    events = [{**FAULT, "id": f"f{i}", "case": f"F{i}"} for i in range(7)] + [{"type": "nope"}]
    with engine.ledger(store=db) as ledger:
        ledger.STORE_BATCH = 3
        results = list(ledger.apply_many(events))
    assert [type(r).__name__ for r in results] == ["Decision"] * 7 + ["Rejection"]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone() == (7,)
    with engine.ledger(store=db) as again:
        assert len(again.deadlines()) == 14


def test_snapshot_into_a_store(engine: svcrules.Engine, tmp_path: Path) -> None:
    memory = engine.ledger()
    memory.apply(FAULT)
    memory.advance("2024-06-03T10:50:00+08:00")
    db = tmp_path / "l.sqlite"
    engine.ledger(snapshot=memory.snapshot(), store=db).close()
    with engine.ledger(store=db) as again:
        assert again.snapshot() == memory.snapshot()


def test_other_packs_are_refused(engine: svcrules.Engine, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    engine.ledger(store=db).close()
    with pytest.raises(svcrules.PackError) as info:
        svcrules.Engine("power-grid", edition="sgcc-2003").ledger(store=db)
    (d,) = info.value.diagnostics
    assert (d.code, d.file, d.path) == ("store.incompatible", str(db), "$.store")
    assert "sgcc-2003" in d.message and "ten-commitments" in d.message
    with pytest.raises(svcrules.PackError) as info:
        svcrules.Engine("power-grid", params={"arrival_minutes": {"urban": 30}}).ledger(store=db)
    assert info.value.codes == ("store.incompatible",)


def test_foreign_files_are_refused(engine: svcrules.Engine, tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(svcrules.PackError) as info:
        engine.ledger(store=other)
    assert info.value.codes == ("store.format",)
    con = sqlite3.connect(other)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["users"]
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100)
    with pytest.raises(svcrules.PackError) as info:
        engine.ledger(store=junk)
    assert info.value.codes == ("store.unreadable",)
    with pytest.raises(svcrules.PackError) as info:
        engine.ledger(store=tmp_path)
    assert info.value.codes == ("store.unreadable",)


def test_another_layout_version_is_refused(engine: svcrules.Engine, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    engine.ledger(store=db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    con.commit()
    con.close()
    with pytest.raises(svcrules.PackError) as info:
        engine.ledger(store=db)
    assert info.value.codes == ("store.format",)
    assert "99" in info.value.diagnostics[0].message


def test_a_failed_write_refuses_further_work(engine: svcrules.Engine, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    ledger = engine.ledger(store=db)
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    ledger._store._db.execute("PRAGMA busy_timeout = 0")  # type: ignore[union-attr]
    with pytest.raises(svcrules.PackError) as info:
        ledger.apply(FAULT)
    assert info.value.codes == ("store.write",)
    assert ledger.deadlines() == ()  # written ahead: nothing was folded
    blocker.rollback()
    with pytest.raises(svcrules.PackError):
        ledger.apply(FAULT)
    ledger.close()
    with engine.ledger(store=db) as again:
        again.apply(FAULT)
        assert len(again.deadlines()) == 2
