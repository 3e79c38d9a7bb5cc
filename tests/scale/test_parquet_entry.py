"""The batch entry points that need no cluster: ``svcrules eval --parquet`` streams row groups
into the outcome table, equal to ``evaluate_many``; ``apply_frame`` folds a frame; importing
svcrules loads neither dask, pandas nor pyarrow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import svcrules
from svcrules.cli import main
from svcrules.scale import apply_frame, apply_rows, evaluate_rows
from svcrules.scale.parquet import evaluate_parquet
from svcrules.scale.rows import events_of_table
from tests.scale_events import frame, table, year


def _canonical(rows: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in rows), key=repr)


def test_eval_parquet_streams_row_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = year("resident-staff")
    src, out = tmp_path / "events.parquet", tmp_path / "out.parquet"
    pq.write_table(table(events), src, row_group_size=100)
    assert pq.ParquetFile(src).num_row_groups > 5
    code = main(["eval", "resident-staff", "--parquet", str(src), "--out", str(out)])
    assert code == 1  # the sample's malformed events are rejected, as `eval` does
    assert "rejections: 13" in capsys.readouterr().err
    got = _canonical(tuple(r.values()) for r in pq.read_table(out).to_pylist())
    assert got == _canonical(evaluate_rows(svcrules.Engine("resident-staff"), events))


def test_eval_parquet_needs_out(tmp_path: Path) -> None:
    assert main(["eval", "power-grid", "--parquet", str(tmp_path / "x.parquet")]) == 2


def test_apply_frame_equals_ledger() -> None:
    events = year("telecom-field-service")
    engine = svcrules.Engine("telecom-field-service")
    until = "2026-04-01T00:00:00+08:00"
    df = apply_frame(engine.ledger(), frame(events), until)
    got = _canonical(tuple(r.values()) for r in __import__("pyarrow").Table.from_pandas(
        df, preserve_index=False).to_pylist())  # fmt: skip
    assert got == _canonical(apply_rows(engine.ledger(), events, until).rows())
    assert "breached" in set(df["status"].dropna())


def test_import_svcrules_loads_no_dataframe_library() -> None:
    code = (
        "import sys, svcrules, svcrules.cli; svcrules.Engine('power-grid');"
        "print(sorted(m for m in ('dask', 'pandas', 'pyarrow', 'svcrules.scale') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("chunk_rows", [1, 3, 8_192])
def test_events_of_table_leaves_out_null_cells_only(chunk_rows: int) -> None:
    import datetime as dt

    import pyarrow as pa

    at = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)
    t = pa.table(
        {
            "id": ["a", "b", "c", "d"],
            "n": pa.array([1, None, 0, None], pa.int64()),
            "at": pa.array([at, at, None, at], pa.timestamp("us", tz="UTC")),
            "items": pa.array([["x", None], None, [], ["y"]]),
            "flag": [False, None, True, None],
            "unused": pa.array([None] * 4, pa.string()),
        }
    )
    want = [
        {"id": "a", "n": 1, "at": at, "items": ["x", None], "flag": False},
        {"id": "b", "at": at},
        {"id": "c", "n": 0, "items": [], "flag": True},
        {"id": "d", "at": at, "items": ["y"]},
    ]
    for source in (t, t.to_batches()[0], pa.concat_tables([t.slice(0, 1), t.slice(1)])):
        got = list(events_of_table(source, chunk_rows=chunk_rows))
        assert got == want
        assert [list(e) for e in got] == [list(e) for e in want]  # fields in column order


def test_eval_parquet_writes_full_row_groups(tmp_path: Path) -> None:
    # outcomes of small read batches are gathered into row groups of `group_rows` or more, so
    # the outcome file's footer (read whole by every reader) does not grow with the batches
    events = year("resident-staff")
    src, out = tmp_path / "events.parquet", tmp_path / "out.parquet"
    pq.write_table(table(events), src)
    engine = svcrules.Engine("resident-staff")
    counts = evaluate_parquet(engine, src, out, batch_rows=50, group_rows=400)
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == counts.outcomes + counts.rejections
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert len(events) // 50 > len(sizes) > 1
    assert all(n >= 400 for n in sizes[:-1])
    got = _canonical(tuple(r.values()) for r in pq.read_table(out).to_pylist())
    assert got == _canonical(evaluate_rows(engine, events))
