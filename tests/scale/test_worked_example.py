"""The worked example of docs/scale.md ("a year of Parquet files to a compliance table") runs as
written against a LocalCluster it connects to by address, on a small year of Parquet files, and
its compliance table counts the same deadlines as one in-process ledger."""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster

import svcrules
from svcrules.scale import apply_rows, evaluate_rows
from svcrules.scale.rows import instant
from tests.scale_events import ROOT, table, year

DOC = ROOT / "docs" / "scale.md"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def worked_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Worked example") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/scale.md lost its worked example"
    return match.group(1)


def test_worked_example_runs_as_documented(cluster: LocalCluster, tmp_path: Path) -> None:
    events = year("power-grid", share=3)
    src = tmp_path / "events" / "2024"
    src.mkdir(parents=True)
    half = len(events) // 2
    for i, part in enumerate((events[:half], events[half:])):
        pq.write_table(table(part), src / f"part-{i}.parquet")
    until = max(instant(e["at"]) for e in events if e["at"][-6] in "+-").isoformat()
    code = worked_example()
    replace = {
        "tcp://scheduler.audit.internal:8786": cluster.scheduler_address,
        "s3://utility-audit/events/2024/*.parquet": f"{src}/*.parquet",
        "s3://utility-audit/outcomes-stateless/2024/": str(tmp_path / "stateless"),
        "s3-mount/audit-2024": str(tmp_path / "audit"),
        "npartitions=200": "npartitions=3",
        "2025-01-01T00:00:00+08:00": until,
    }
    for old, new in replace.items():
        assert old in code, f"the worked example no longer says {old!r}: update this test"
        code = code.replace(old, new)
    scope: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, str(DOC), "exec"), scope)  # the documented example
    scope["client"].close()

    engine = svcrules.Engine("power-grid")
    stateless = pq.read_table(tmp_path / "stateless")
    assert stateless.num_rows == len(evaluate_rows(engine, events))
    held = apply_rows(engine.ledger(), events, until).rows()
    want = Counter((r[2], r[7]) for r in held if r[1] == "deadline")
    compliance = scope["compliance"]
    got = {
        (rule, status): int(n)
        for rule, row in compliance.drop(columns="breach_rate").iterrows()
        for status, n in row.items()
        if n
    }
    assert got == dict(want)
    assert "breached" in compliance.columns
    breached = compliance["breached"] / compliance.drop(columns="breach_rate").sum(axis=1)
    assert (compliance["breach_rate"] == breached).all()
    assert "breach_rate" in printed.getvalue()
