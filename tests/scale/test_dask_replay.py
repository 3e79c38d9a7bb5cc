"""svcrules.dask against one in-process ledger: a year of generated events per built-in pack,
shuffled, replayed on a 2-process LocalCluster in several partitions, gives the same outcome
table; stateless evaluation gives the same rows as Engine.evaluate_many; engines are compiled
once per worker; a rerun resumes from the snapshots."""

from __future__ import annotations

import json
import pickle
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.bag as db
import dask.dataframe as dd
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

import svcrules
import svcrules.dask as sd
from svcrules.scale import COLUMNS, EngineSpec, apply_rows, evaluate_frame, evaluate_rows
from svcrules.scale.rows import instant
from tests.scale_events import PACKS, frame, year


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def canonical(rows: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in rows), key=repr)


def shuffled(pack: str) -> list[dict[str, Any]]:
    events = year(pack, share=3 if pack == "power-grid" else 1)  # ~3 500 power-grid events
    random.Random(15).shuffle(events)
    return events


def latest(events: list[dict[str, Any]]) -> Any:
    return max(instant(e["at"]) for e in events if e["at"][-6] in "+-")


def test_builtin_packs_have_generated_years() -> None:
    builtins = {p.name for p in svcrules.list_packs() if p.origin == "builtin"}
    assert set(PACKS) <= builtins


@pytest.mark.parametrize("pack", PACKS)
def test_replay_on_cluster_equals_one_ledger(client: Client, pack: str, tmp_path: Path) -> None:
    events = shuffled(pack)
    until = latest(events)
    expected = canonical(apply_rows(svcrules.Engine(pack).ledger(), events, until).rows())
    assert expected

    report = sd.replay(dd.from_pandas(frame(events), npartitions=5), pack, out=tmp_path,
                       npartitions=4)  # fmt: skip
    got = _read(tmp_path)
    assert report.outcomes == len(expected)
    assert got == expected
    assert len(list((tmp_path / "snapshots").glob("part-*.json"))) == 4
    if pack == "resident-staff":
        # the refusal counter (by subject) starts a report clock on the refusing event's
        # case, the partitioning keeps that case with the subject
        assert report.components > 0
        assert any(r[3] == "refusal_report" for r in expected)
    assert any(r[1] == "deadline" and r[7] == "breached" for r in expected)


def test_replay_with_the_p2p_shuffle_equals_one_ledger(client: Client, tmp_path: Path) -> None:
    """The disk-based shuffle (docs/scale.md, "Costs") moves list columns too: power-grid's
    events carry several (`record_items`, `disclosures`, `contents`, `opening`)."""
    events = shuffled("power-grid")
    ddf = dd.from_pandas(frame(events), npartitions=5)
    assert {"record_items", "contents"} <= set(ddf.columns)
    expected = canonical(apply_rows(svcrules.Engine("power-grid").ledger(), events,
                                    latest(events)).rows())  # fmt: skip
    report = sd.replay(ddf, "power-grid", out=tmp_path, npartitions=4, shuffle_method="p2p")
    assert report.outcomes == len(expected)
    assert _read(tmp_path) == expected


def test_replay_resumes_and_extends(client: Client, tmp_path: Path) -> None:
    events = sorted(year("telecom-field-service"), key=lambda e: instant(e["at"]))
    half = len(events) // 2
    first = sd.replay(dd.from_pandas(frame(events[:half]), npartitions=2),
                      "telecom-field-service", out=tmp_path, npartitions=3)  # fmt: skip
    assert first.outcomes > 0
    snaps = {p.name: json.loads(p.read_text()) for p in (tmp_path / "snapshots").glob("*.json")}
    assert sum(len(s["ledger"]["events"]) for s in snaps.values()) == half
    # extended: the rest of the year is applied to the restored ledgers
    sd.replay(dd.from_pandas(frame(events), npartitions=2), "telecom-field-service",
              out=tmp_path, npartitions=3)  # fmt: skip
    expected = canonical(
        apply_rows(svcrules.Engine("telecom-field-service").ledger(), events, latest(events)).rows()
    )
    got = _read(tmp_path)
    assert got == expected
    snaps = {p.name: json.loads(p.read_text()) for p in (tmp_path / "snapshots").glob("*.json")}
    assert sum(len(s["ledger"]["events"]) for s in snaps.values()) == len(events)


@pytest.mark.parametrize("pack", PACKS)
def test_stateless_on_cluster_equals_evaluate_many(client: Client, pack: str) -> None:
    events = shuffled(pack)[:3000]
    engine = svcrules.Engine(pack)
    expected = canonical(evaluate_rows(engine, events))
    out = sd.evaluate(dd.from_pandas(frame(events), npartitions=5), pack).compute()
    assert list(out.columns) == list(COLUMNS)
    assert canonical(_rows(out)) == expected
    bag = sd.evaluate(db.from_sequence(events, npartitions=4), pack).compute()
    assert canonical(_rows(bag)) == expected
    assert canonical(_rows(evaluate_frame(engine, frame(events)))) == expected


def test_engine_compiled_once_per_worker(client: Client) -> None:
    spec = EngineSpec.of("telecom-field-service")
    events = year("telecom-field-service")
    sd.evaluate(dd.from_pandas(frame(events), npartitions=12), spec).compute()
    builds = client.run(lambda: list(__import__("svcrules.scale").scale.BUILDS))
    for worker_builds in builds.values():
        assert worker_builds.count(spec.digest) <= 1


def test_outcomes_cross_processes_equal(client: Client) -> None:
    events = year("power-grid")[:200]
    local = list(svcrules.Engine("power-grid").evaluate_many(events))
    remote = client.submit(_decisions, "power-grid", events).result()
    assert remote == local
    assert pickle.loads(pickle.dumps(local)) == local


def _decisions(pack: str, events: list[dict[str, Any]]) -> list[Any]:
    return list(EngineSpec.of(pack).engine().evaluate_many(events))


def _read(path: Path) -> list[tuple[Any, ...]]:
    return canonical(tuple(r.values()) for r in pq.read_table(path / "outcomes").to_pylist())


def _rows(df: Any) -> list[tuple[Any, ...]]:
    import pyarrow as pa

    return [tuple(r.values()) for r in pa.Table.from_pandas(df, preserve_index=False).to_pylist()]
