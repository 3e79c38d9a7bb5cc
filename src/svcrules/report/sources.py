"""Report: the inputs a report reads besides an events stream (which the CLI reads as
``svcrules eval`` does): which kind a path is, a ledger store opened without changing it, an
outcome table read from Parquet; each failure a located ``ReportError``."""

from __future__ import annotations

import os
from pathlib import Path

from svcrules.diagnostics import Diagnostic
from svcrules.engine import Engine
from svcrules.ledger import Ledger
from svcrules.report.model import ReportError
from svcrules.runtime.rows import COLUMNS

KINDS = {
    ".jsonl": "events",
    ".ndjson": "events",
    ".json": "events",
    ".db": "store",
    ".sqlite": "store",
    ".sqlite3": "store",
    ".parquet": "table",
    ".pq": "table",
}
"""Input kind by suffix; ``--input-kind`` overrides."""


def error(code: str, message: str, path: str, hint: str | None = None) -> ReportError:
    return ReportError([Diagnostic(code, message, path="$.input", file=path, hint=hint)])


def input_kind(path: str, kind: str | None = None) -> str:
    """``events``, ``store`` or ``table``; the file must exist (``-`` is standard input)."""
    if path != "-" and not Path(path).is_file():
        what = "a directory" if Path(path).is_dir() else "no such file"
        raise error("report.input-missing", f"cannot read {path}: {what}", path)
    if kind is not None:
        return kind
    if path == "-":
        return "events"
    found = _by_content(path) or KINDS.get(Path(path).suffix.lower())
    if found is None:
        raise error(
            "report.input-format",
            f"cannot tell what {path} holds from its content or its suffix "
            f"{Path(path).suffix or '(none)'}",
            path,
            hint="events: .jsonl/.ndjson/.json, a ledger store: .db/.sqlite, an outcome table: "
            ".parquet; or say --input-kind events|store|table",
        )
    return found


MAGIC = ((b"SQLite format 3\x00", "store"), (b"PAR1", "table"))


def _by_content(path: str) -> str | None:
    """What the file holds by its first bytes: a SQLite store, a Parquet table, or JSON Lines
    (a first non-blank byte ``{``); None when they say neither."""
    with open(path, "rb") as f:
        head = f.read(64)
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return "events" if head.lstrip().startswith(b"{") else None


def open_store(engine: Engine, path: str, now: str | None) -> Ledger:
    """The ledger of a store. With ``now`` the store is not advanced (a report never writes
    it): its events are replayed into a ledger in memory, which is."""
    ledger = engine.ledger(store=path)
    if now is None:
        return ledger
    try:
        snapshot = ledger.snapshot()
    finally:
        ledger.close()
    return engine.ledger(snapshot=snapshot)


OPTIONAL = ("event_id", "points", "at")
"""Columns a report does without (``at`` is missing from tables written before it was added)."""

COLUMNS_NEEDED = tuple(c for c in COLUMNS if c not in OPTIONAL)


def read_table(path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """An outcome table (Parquet) as rows, or the ``ReportError`` saying what is wrong."""
    name = os.fspath(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - the dask and dev extras bring pyarrow
        raise error(
            "report.needs-extra",
            "reading an outcome table needs pyarrow",
            name,
            hint="pip install 'svcrules[dask]'",
        ) from None
    try:
        schema = pq.read_schema(name)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise error("report.input-format", f"{name} is not a Parquet file: {exc}", name) from None
    missing = [c for c in COLUMNS_NEEDED if c not in schema.names]
    if missing:
        raise error(
            "report.input-format",
            f"{name} is not an outcome table: no column {', '.join(missing)}",
            name,
            hint="give the table svcrules eval --parquet or svcrules.dask replay wrote",
        )
    present = [c for c in COLUMNS if c in schema.names]  # `at` is missing from older tables
    rows: list[dict[str, object]] = pq.read_table(name, columns=present).to_pylist()
    return rows
