"""Dask: stateful replay. Events are grouped by the connected components of their key values
(``svcrules.scale.keys``), shuffled so each component lands in one partition, and each
partition is folded by its own ledger in event time, with outcomes and a snapshot written under
``out`` (``svcrules.scale.replay``): a rerun resumes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa

from svcrules.dask.evaluate import spec_of
from svcrules.scale import EngineSpec, empty_frame, frame_of
from svcrules.scale.keys import key_fields, label_map, label_of, links
from svcrules.scale.replay import fold_partition
from svcrules.scale.rows import events_of_frame, instant

LABEL = "_svcrules_key"


@dataclass(frozen=True)
class ReplayReport:
    """What ``replay`` did: where its outcomes are, how many partitions and rows."""

    out: Path
    partitions: int
    outcomes: int
    components: int
    """Components of two or more linked key values (a value linked to none is not counted)."""
    until: dt.datetime | None
    seconds: float
    linked: int = 0
    """Entries of the key map built on the client and shipped to each worker: the linked key
    values that are not their component's label (its size bounds the client, see scale.md)."""

    def frame(self) -> dd.DataFrame:
        """The outcome table, lazily, from ``out/outcomes``."""
        return dd.read_parquet(str(self.out / "outcomes"), dtype_backend="pyarrow")


def _scan(df: pd.DataFrame, fields: Sequence[str]) -> tuple[set[tuple[str, ...]], Any]:
    records = list(events_of_frame(df))
    latest = None
    for r in records:
        try:
            at = instant(r["at"])
        except (KeyError, ValueError, TypeError):
            continue
        latest = at if latest is None or at > latest else latest
    return links(records, fields), latest


def _label(df: pd.DataFrame, fields: Sequence[str], labels: Mapping[str, str]) -> pd.DataFrame:
    cols = [f for f in fields if f in df.columns]
    records = df[cols].astype(object).where(df[cols].notna(), None).to_dict("records")
    return df.assign(**{LABEL: [label_of(r, fields, labels) for r in records]})


def _nested_as_object(events: dd.DataFrame) -> dd.DataFrame:
    """``events`` with its Arrow list, struct and map columns as object columns: distributed's
    p2p shuffle cannot read back the pandas metadata of a nested Arrow dtype (``TypeError: data
    type 'list<element: string>[pyarrow]' not understood``); as object columns they still travel
    as Arrow lists, and come back as the same values."""
    nested = {
        name: object
        for name, dtype in events.dtypes.items()
        if isinstance(dtype, pd.ArrowDtype) and pa.types.is_nested(dtype.pyarrow_dtype)
    }
    return events.astype(nested) if nested else events


def _fold(
    df: pd.DataFrame,
    spec: EngineSpec,
    out: str,
    until: Any,
    fields: Sequence[str],
    labels: Mapping[str, str],
    partition_info: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    number = partition_info["number"] if partition_info else 0
    events = list(events_of_frame(df.drop(columns=[LABEL])))
    rows = fold_partition(
        spec.engine(), events, number=number, out=out, until=until, fields=fields, labels=labels
    )
    return frame_of(rows)


def replay(
    events: dd.DataFrame,
    packs: EngineSpec | str | Sequence[str],
    *,
    out: str | Path,
    edition: str | None = None,
    params: Mapping[str, Any] | None = None,
    until: dt.datetime | str | None = None,
    npartitions: int | None = None,
    shuffle_method: str = "tasks",
) -> ReplayReport:
    """Fold ``events`` (a DataFrame, a column per field) by key on the current Dask scheduler,
    advance every partition's ledger to ``until`` (default: the latest event), and write the
    outcomes that hold and each partition's snapshot under ``out``. Running it again with the
    same ``out`` and ``npartitions`` resumes: finished partitions are read back, extended ones
    restored from their snapshots. ``shuffle_method``: Dask's ``"tasks"`` (the default) or
    ``"p2p"``, which shuffles through disk (list columns are then moved as object columns)."""
    start = time.perf_counter()
    spec = spec_of(packs, edition, params)
    fields = tuple(f for f in key_fields(spec.engine()) if f in events.columns)
    cols = [*fields, "at"]
    scans = dask.compute(*[dask.delayed(_scan)(p, fields) for p in events[cols].to_delayed()])
    labels = label_map(nodes for found, _ in scans for nodes in found)
    if until is None:
        latest = [at for _, at in scans if at is not None]
        until = max(latest) if latest else None
    n = npartitions or events.npartitions
    if shuffle_method == "p2p":
        events = _nested_as_object(events)
    labels_arg = dask.delayed(labels, traverse=False)
    labelled = events.map_partitions(
        _label, fields, labels_arg, meta=events._meta.assign(**{LABEL: pd.Series([], dtype=str)})
    )
    shuffled = labelled.shuffle(on=LABEL, npartitions=n, shuffle_method=shuffle_method)
    folded = shuffled.map_partitions(
        _fold, spec, str(out), until, fields, labels_arg, meta=empty_frame(),
        enforce_metadata=False,
    )  # fmt: skip
    sizes = folded.map_partitions(len).compute()
    return ReplayReport(
        out=Path(out),
        partitions=n,
        outcomes=int(sum(sizes)),
        components=len(set(labels.values())),
        linked=len(labels),
        until=until if isinstance(until, dt.datetime) else instant(until),
        seconds=time.perf_counter() - start,
    )
