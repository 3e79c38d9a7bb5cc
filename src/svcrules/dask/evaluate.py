"""Dask: stateless evaluation of a Dask DataFrame or Bag of events into the outcome table,
one task per partition; each worker process compiles the engine once (``EngineSpec``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dask
import dask.bag as db
import dask.dataframe as dd
import pandas as pd

from svcrules.engine import Engine
from svcrules.scale import EngineSpec, empty_frame, evaluate_rows, frame_of
from svcrules.scale import evaluate_frame as _evaluate_frame
from svcrules.scale.rows import events_of_frame


def evaluate_frame(engine: Engine, df: pd.DataFrame) -> pd.DataFrame:
    """A pandas frame of events in, the outcome table out: no cluster needed."""
    return _evaluate_frame(engine, df)


def spec_of(
    packs: EngineSpec | str | Sequence[str],
    edition: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> EngineSpec:
    return packs if isinstance(packs, EngineSpec) else EngineSpec.of(packs, edition, params)


def _frame_part(df: pd.DataFrame, spec: EngineSpec) -> pd.DataFrame:
    return frame_of(evaluate_rows(spec.engine(), events_of_frame(df)))


def _bag_part(events: Iterable[Any], spec: EngineSpec) -> pd.DataFrame:
    return frame_of(evaluate_rows(spec.engine(), events))


def evaluate(
    events: dd.DataFrame | db.Bag,
    packs: EngineSpec | str | Sequence[str],
    *,
    edition: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> dd.DataFrame:
    """The outcome table (lazy) of every event of ``events``: a DataFrame with a column per
    field, or a Bag of event mappings. One row per outcome, one per rejected event."""
    spec = spec_of(packs, edition, params)
    meta = empty_frame()
    if isinstance(events, db.Bag):
        parts = [dask.delayed(_bag_part)(p, spec) for p in events.to_delayed()]
        return dd.from_delayed(parts, meta=meta, verify_meta=False)
    return events.map_partitions(_frame_part, spec, meta=meta, enforce_metadata=False)
