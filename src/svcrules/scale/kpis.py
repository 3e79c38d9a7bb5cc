"""Scale: KPI values from an outcome table (an Arrow table, a pandas frame or rows of
``COLUMNS``), by the same computation as ``Ledger.kpis`` (``runtime.kpis``): a table folded
from the same events by ``apply_frame`` or the Dask replay gives the same values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from svcrules.engine import Engine
from svcrules.runtime.kpis import KpiValue, kpi_values
from svcrules.runtime.rows import COLUMNS, Row

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def kpis(
    table: pa.Table | pa.RecordBatch | pd.DataFrame | Sequence[Row],
    engine: Engine,
    period: str | None = None,
    pack: str | None = None,
) -> tuple[KpiValue, ...]:
    """The KPIs of ``engine``'s packs over ``period`` (see ``Ledger.kpis``) from an outcome
    table holding the outcomes that hold at the end (``apply_frame``, ``dask.replay``; not the
    stateless ``evaluate_frame``, whose clocks are all open). Rejection rows are ignored; a
    table written before the ``at`` column existed reads it as missing (counts of escalations
    and violations then have nothing to count)."""
    plans = [
        k
        for cp in engine.compiled
        if cp.ledger is not None and pack in (None, cp.name)
        for k in cp.ledger.kpis
    ]
    return kpi_values(plans, rows_of(table), period)


def rows_of(table: Any) -> Iterable[Row]:
    """Rows of ``COLUMNS`` from an Arrow table or batch, a pandas frame, or rows already."""
    if isinstance(table, Sequence):
        return table
    import pyarrow as pa

    if not isinstance(table, pa.Table | pa.RecordBatch):
        table = pa.Table.from_pandas(table, preserve_index=False)
    return (tuple(r.get(c) for c in COLUMNS) for r in table.to_pylist())
