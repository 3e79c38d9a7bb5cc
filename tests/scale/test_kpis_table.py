"""KPIs from an outcome table equal the ledger's: a year of generated events per built-in pack,
shuffled, folded by one ledger and by ``apply_frame`` into a table (also through Parquet),
gives the same KPI values over every period; a table of another shape still reads."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import svcrules
from svcrules import scale
from svcrules.scale import COLUMNS, apply_frame, apply_rows
from svcrules.scale.rows import instant
from tests.scale_events import PACKS, frame, year

ROOT = Path(__file__).resolve().parents[2]


def engine_of(pack: str) -> svcrules.Engine:
    """The built-in pack, with each monthly ``average_score`` KPI also over the quarter and the
    year (the mean of monthly scores), so that both paths compute the longer averages too."""
    data = yaml.safe_load((ROOT / "policies" / pack / "pack.yaml").read_text(encoding="utf-8"))
    cards = data.get("scorecards") or {}
    for kpi in list(data.get("kpis") or ()):
        if kpi["kind"] == "average_score" and cards[kpi["scorecard"]].get("period") == "month":
            for period in ("quarter", "year"):
                data["kpis"].append(dict(kpi, id=f"{kpi['id']}-{period}", period=period))
    return svcrules.Engine(svcrules.load_pack(data))


def events_of(pack: str) -> list[dict[str, Any]]:
    events = year(pack, share=3 if pack == "power-grid" else 1)
    random.Random(14).shuffle(events)
    return events


@pytest.mark.parametrize("pack", PACKS)
def test_table_kpis_equal_ledger_kpis(pack: str, tmp_path: Path) -> None:
    events = events_of(pack)
    until = max(instant(e["at"]) for e in events if e["at"][-6] in "+-")
    engine = engine_of(pack)
    ledger = engine.ledger()
    for _ in ledger.apply_many(events):
        pass
    ledger.advance(until)
    expected = ledger.kpis()
    assert len({k.kpi for k in expected}) >= 3  # the pack's KPIs have values to compare
    assert any(k.denominator for k in expected)
    if pack == "resident-staff":  # its monthly average, also by quarter and by year
        longer = [k for k in expected if k.kpi.startswith("average-score-")]
        assert {k.period for k in longer} >= {"2025-Q1", "2025"}, longer
        assert all(k.value is not None and k.denominator for k in longer)

    df = apply_frame(engine.ledger(), frame(events), until)
    assert scale.kpis(df, engine) == expected
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    assert scale.kpis(table, engine) == expected
    months = sorted({k.period for k in expected if len(k.period) == len("2024-05")})
    assert months
    for month in months[:2]:
        assert scale.kpis(table, engine, period=month) == ledger.kpis(month)


def test_rows_and_a_table_without_the_at_column() -> None:
    """Rows of COLUMNS are read as they are; a table written before ``at`` existed reads it as
    missing: clocks still count (by due time), escalations have no time to count by."""
    events = year("power-grid", copies=1)
    engine = svcrules.Engine("power-grid")
    tally = apply_rows(engine.ledger(), events, "2025-11-01T00:00:00+08:00")
    rows = tally.rows()
    by_rows = {k.kpi: k for k in scale.kpis(rows, engine, period="2025-09")}
    assert by_rows["dispatch-on-time"].denominator == 121
    old = [r[: COLUMNS.index("at")] for r in rows]
    names = list(COLUMNS[: COLUMNS.index("at")])
    table = pa.table({n: [r[i] for r in old] for i, n in enumerate(names)})
    got = {k.kpi: k for k in scale.kpis(table, engine, period="2025-09")}
    assert got["dispatch-on-time"] == by_rows["dispatch-on-time"]
    assert by_rows["arrival-escalations"].numerator > 0
    assert got["arrival-escalations"].numerator == 0
    assert scale.kpis(rows, engine, period="2025-09", pack="resident-staff") == ()
