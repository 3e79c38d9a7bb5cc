"""Dask: svcrules on a Dask cluster (extra ``svcrules[dask]``). ``evaluate`` maps a DataFrame
or Bag of events to the outcome table, partition by partition, with one engine per worker
process; ``replay`` shuffles events by ledger key, folds each partition in its own ledger in
event time and writes outcomes and snapshots under ``out`` (resumable). See docs/scale.md."""

from __future__ import annotations

from svcrules.dask.evaluate import evaluate, evaluate_frame
from svcrules.dask.replay import ReplayReport, replay

__all__ = ["ReplayReport", "evaluate", "evaluate_frame", "replay"]
