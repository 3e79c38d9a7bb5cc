"""Ledger: the canonical JSON form of accepted events (for idempotency digests, snapshots and
a durable store), and the versioned snapshot document with its compatibility check."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from svcrules.diagnostics import Diagnostic
from svcrules.errors import PackError

FORMAT = "svcrules-ledger"
VERSION = 1


_PLAIN = frozenset({str, int, float, bool})
"""Types ``canonical`` returns as they are."""


def canonical(value: Any) -> Any:
    """Plain JSON data for an event: instants and dates as ISO text, exact numbers as text,
    absent (None) fields dropped; validating it again gives the same event."""
    if isinstance(value, Mapping):  # plain text and numbers (most fields) skip the call
        return {
            str(k): v if type(v) in _PLAIN else canonical(v)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def digest(event: Mapping[str, Any], at: dt.datetime) -> str:
    """What makes two events with the same id the same event: their content, with ``at`` as a
    UTC instant (the same instant written with another offset is the same event)."""
    body = {**event, "at": at.astimezone(dt.UTC).isoformat()}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def params_digest(params: Mapping[str, Any]) -> str:
    text = json.dumps(canonical(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def identity(packs: Sequence[tuple[str, str, str | None, str]]) -> list[dict[str, Any]]:
    return [{"name": n, "version": v, "edition": ed, "params_digest": d} for n, v, ed, d in packs]


def check_snapshot(snapshot: Any, expected: list[dict[str, Any]]) -> None:
    """Raise ``PackError`` unless ``snapshot`` is a snapshot this ledger's packs can restore."""
    if (
        not isinstance(snapshot, Mapping)
        or snapshot.get("format") != FORMAT
        or not isinstance(snapshot.get("events"), list)
        or not all(isinstance(e, Mapping) for e in snapshot["events"])
        or not (snapshot.get("watermark") is None or isinstance(snapshot.get("watermark"), str))
    ):
        raise PackError(
            [
                Diagnostic(
                    "snapshot.format",
                    "not a ledger snapshot (a mapping with format "
                    f"{FORMAT!r}, version, packs, watermark and events)",
                )
            ]
        )
    if snapshot.get("version") != VERSION:
        raise PackError(
            [
                Diagnostic(
                    "snapshot.format",
                    f"snapshot format version {snapshot.get('version')!r}; this svcrules reads "
                    f"version {VERSION}",
                )
            ]
        )
    if snapshot.get("packs") != expected:
        raise PackError(
            [
                Diagnostic(
                    "snapshot.incompatible",
                    f"the snapshot was taken with packs {_brief(snapshot.get('packs'))}, this "
                    f"engine has {_brief(expected)}",
                    hint="restore with an Engine of the same pack versions, editions and params",
                )
            ]
        )


def _brief(packs: Any) -> str:
    if not isinstance(packs, list):
        return repr(packs)
    return ", ".join(
        f"{p.get('name')} {p.get('version')} ({p.get('edition')}, params {p.get('params_digest')})"
        for p in packs
        if isinstance(p, Mapping)
    )
