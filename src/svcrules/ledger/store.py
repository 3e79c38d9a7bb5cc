"""Ledger: the embedded durable store: a ledger's accepted events, watermark and pack identity
in one SQLite file, so that a process killed at any point restarts from its database with
nothing lost and nothing applied twice.

The ledger is event-sourced (its state is a fold of the accepted events and the watermark), so
the store keeps exactly those, never folded state: one row per accepted event in canonical JSON,
written ahead of folding it (one transaction per ``apply``, one per batch in ``apply_many``),
and the watermark of the last ``advance``. Reopening replays them. The database runs in WAL
mode with ``synchronous=NORMAL``: a killed process loses nothing it committed; a power cut may
lose the last commits but never corrupts the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from svcrules.diagnostics import Diagnostic
from svcrules.errors import PackError

FORMAT = "svcrules-ledger-store"
VERSION = 1
"""Version of the database layout; a database of another version is refused."""

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at TEXT NOT NULL,"
    " digest TEXT NOT NULL, payload TEXT NOT NULL)",
)

Row = tuple[str, str, str, str]
"""``(id, at as a UTC instant, digest, canonical JSON)`` of one accepted event."""


def _error(code: str, message: str, path: str, hint: str | None = None) -> PackError:
    return PackError([Diagnostic(code, message, "$.store", file=path, hint=hint)])


class SqliteStore:
    """The accepted events, watermark and pack identity of one ledger, in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str], identity: Sequence[Mapping[str, Any]]) -> None:
        self.path = os.fspath(path)
        self._depth = 0
        self._closed = False
        wanted = json.dumps([dict(p) for p in identity], sort_keys=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open(wanted)
        except sqlite3.Error as exc:
            self._db.close()
            raise self._unreadable(exc) from None
        except PackError:
            self._db.close()
            raise

    def _unreadable(self, exc: sqlite3.Error) -> PackError:
        return _error(
            "store.unreadable",
            f"cannot use {self.path!r} as a ledger store: {exc}",
            self.path,
            hint="give the path of a new file, or of a store svcrules wrote",
        )

    def _open(self, wanted: str) -> None:
        with self.transaction():
            tables = {
                name
                for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT), ("version", str(VERSION)), ("packs", wanted)],
                )
                return
        meta: dict[str, str] = {}
        if "meta" in tables:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT or "events" not in tables:
            raise _error(
                "store.format",
                f"{self.path!r} is an SQLite database but not a ledger store (tables: "
                f"{', '.join(sorted(tables))})",
                self.path,
                hint="give the path of a new file, or of a store svcrules wrote",
            )
        if meta.get("version") != str(VERSION):
            raise _error(
                "store.format",
                f"the store has layout version {meta.get('version')}; this svcrules reads "
                f"version {VERSION}",
                self.path,
                hint="open it with the svcrules that wrote it and move it by snapshot",
            )
        if meta.get("packs") != wanted:
            raise _error(
                "store.incompatible",
                f"the store was written with packs {_brief(meta.get('packs'))}; this engine has "
                f"{_brief(wanted)}",
                self.path,
                hint="open it with an Engine of the same packs, versions, editions and params, "
                "or start a new store",
            )

    # --- reading --------------------------------------------------------------------------------

    def events(self) -> Iterator[dict[str, Any]]:
        """Every stored event (canonical JSON data), in the order they were accepted."""
        for (payload,) in self._db.execute("SELECT payload FROM events ORDER BY seq"):
            yield json.loads(payload)

    def watermark(self) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'watermark'").fetchone()
        return None if row is None else str(row[0])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    # --- writing --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (nested calls join the outer one): committed on success, rolled
        back on any error."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def add(self, row: Row) -> None:
        """Record one accepted event (in the open transaction, or in its own)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO events (id, at, digest, payload) VALUES (?, ?, ?, ?)", row
            )

    def set_watermark(self, watermark: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('watermark', ?)", (watermark,)
            )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path}>"


def write_error(path: str, exc: Exception) -> PackError:
    """The error for a store that cannot be written (disk full, file removed, locked)."""
    return _error(
        "store.write",
        f"cannot write the ledger store {path!r}: {type(exc).__name__}: {exc}",
        path,
        hint="the event was not applied; fix the store's disk or lock and apply it again",
    )


def _brief(packs: str | None) -> str:
    try:
        items = json.loads(packs or "null")
    except ValueError:
        return repr(packs)
    if not isinstance(items, list):
        return repr(packs)
    return ", ".join(
        f"{p.get('name')} {p.get('version')} ({p.get('edition')}, params {p.get('params_digest')})"
        for p in items
        if isinstance(p, Mapping)
    )
