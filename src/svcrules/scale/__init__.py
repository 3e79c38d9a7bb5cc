"""Scale: batch evaluation over tables of events, without a cluster (``evaluate_frame``,
``apply_frame``, the Parquet streaming of ``svcrules eval --parquet``) and the pieces
``svcrules.dask`` distributes: outcome rows, key partitioning, partition folds with snapshots,
a per-process cache of compiled engines, and KPIs from an outcome table (``kpis``). pandas
and pyarrow are imported on use."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from svcrules.engine import Engine
from svcrules.scale.frame import Tally, apply_frame, apply_rows, evaluate_frame, evaluate_rows
from svcrules.scale.kpis import kpis
from svcrules.scale.rows import COLUMNS, arrow_schema, empty_frame, frame_of, table_of


@dataclass(frozen=True)
class EngineSpec:
    """What builds an ``Engine`` (pack names or paths, edition, params): small and picklable,
    so a task carries it and each worker process compiles the engine once (``engine()``)."""

    packs: tuple[str, ...]
    edition: str | None = None
    params: Mapping[str, Any] | None = None

    @classmethod
    def of(
        cls,
        packs: str | Sequence[str],
        edition: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> EngineSpec:
        names = (packs,) if isinstance(packs, str) else tuple(str(p) for p in packs)
        return cls(names, edition, dict(params) if params else None)

    @property
    def digest(self) -> str:
        text = json.dumps([self.packs, self.edition, self.params], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def engine(self) -> Engine:
        """This process's engine for the spec, compiled on first use."""
        key = self.digest
        with _LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = _ENGINES[key] = Engine(
                    list(self.packs), edition=self.edition, params=self.params
                )
                BUILDS.append(key)
            return engine


_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()
BUILDS: list[str] = []
"""The spec digests this process compiled an engine for, in order (one per spec)."""

__all__ = [
    "COLUMNS",
    "EngineSpec",
    "Tally",
    "apply_frame",
    "apply_rows",
    "arrow_schema",
    "empty_frame",
    "evaluate_frame",
    "evaluate_rows",
    "frame_of",
    "kpis",
    "table_of",
]
