"""Scale: the outcome table's schema, one row per outcome (or rejection), and events from
Arrow tables and pandas frames. pyarrow is imported only by the functions that need it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from svcrules.runtime.rows import COLUMNS, Row, outcome_row, rejection_row

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "COLUMNS",
    "Row",
    "arrow_schema",
    "empty_frame",
    "events_of_frame",
    "events_of_table",
    "frame_of",
    "instant",
    "outcome_row",
    "rejection_row",
    "table_of",
]

CHUNK_ROWS = 8_192
"""Rows of an Arrow table turned into event mappings at a time (``events_of_table``)."""


def arrow_schema() -> pa.Schema:
    import pyarrow as pa

    text = pa.string()
    return pa.schema(
        [
            ("event_id", text),
            ("kind", text),
            ("rule", text),
            ("clock", text),
            ("case", text),
            ("subject", text),
            ("due", pa.timestamp("us", tz="UTC")),
            ("status", text),
            ("points", pa.int64()),
            ("score", pa.int64()),
            ("cite", text),
            ("pack", text),
            ("late_by_s", pa.float64()),
            ("detail", text),
            ("at", pa.timestamp("us", tz="UTC")),
        ]
    )


def empty_frame() -> pd.DataFrame:
    """A zero-row pandas frame with the outcome schema (Dask's ``meta``)."""
    return table_of([]).to_pandas(types_mapper=_arrow_dtype)


def _arrow_dtype(t: pa.DataType) -> Any:
    import pandas as pd

    return pd.ArrowDtype(t)


def table_of(rows: Sequence[Row]) -> pa.Table:
    """Rows as an Arrow table with the outcome schema."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    schema = arrow_schema()
    return pa.Table.from_arrays(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def frame_of(rows: Sequence[Row]) -> pd.DataFrame:
    """Rows as a pandas frame with Arrow-backed dtypes (the same dtypes as ``empty_frame``)."""
    return table_of(rows).to_pandas(types_mapper=_arrow_dtype)


def events_of_table(
    table: pa.Table | pa.RecordBatch, chunk_rows: int = CHUNK_ROWS
) -> Iterator[dict[str, Any]]:
    """Each row as an event mapping; null cells are left out (a column another event type
    uses), timestamps stay aware datetimes, lists stay lists.

    Built column by column, ``chunk_rows`` rows at a time: only a column's valid cells become
    Python objects, so a wide table of mostly-null columns never holds a dict per row with a
    key per column (``to_pylist`` would: 65 536 rows x 50 columns is ~150 MB of dicts that
    glibc keeps as fragmented arena after they are freed)."""
    import pyarrow.compute as pc

    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        events: list[dict[str, Any]] = [{} for _ in range(part.num_rows)]
        for name, column in zip(part.column_names, part.columns, strict=True):
            nulls = column.null_count
            if nulls == len(column):
                continue
            if nulls == 0:
                for event, value in zip(events, column.to_pylist(), strict=True):
                    event[name] = value
            else:
                where = pc.indices_nonzero(column.is_valid()).to_pylist()
                for i, value in zip(where, column.drop_null().to_pylist(), strict=True):
                    events[i][name] = value
        yield from events
        del events


def events_of_frame(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Each row of a pandas frame as an event mapping (through Arrow, so numbers keep their
    types: give integer columns with gaps a nullable or Arrow dtype, not float64)."""
    import pyarrow as pa

    yield from events_of_table(pa.Table.from_pandas(df, preserve_index=False))


def instant(value: Any) -> dt.datetime:
    """An event's ``at`` as a UTC instant, for ordering (text or datetime)."""
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        return at.replace(tzinfo=dt.UTC)  # naive: the ledger rejects it; order it anywhere
    return at.astimezone(dt.UTC)
