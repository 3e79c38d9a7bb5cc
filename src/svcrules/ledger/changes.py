"""Ledger: what one ``apply`` or ``advance`` changed: outcomes as they were before it, keys left
to re-fold, and the ``Decision`` reporting the net difference (with ``retracted``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from svcrules.ledger.model import Entry, Key, OutId
from svcrules.runtime.results import (
    Decision,
    Outcome,
)

MISSING: Any = object()
"""An outcome that did not exist (before the call, or after it)."""


@dataclass(slots=True)
class Change:
    """One ``apply`` or ``advance``: outcomes as they were before it, keys to re-fold."""

    before: dict[OutId, Any] = field(default_factory=dict)
    dirty: dict[Key, Entry | None] = field(default_factory=dict)
    """Keys to re-fold; with the entry when that entry, added in order, is all that changed."""
    warnings: list[str] = field(default_factory=list)


def decision(
    change: Change, outputs: Mapping[OutId, Outcome], event_id: str | None, etype: str | None
) -> Decision:
    """The net change of one call: outcomes whose value differs from before it are reported
    (new value) and retracted (old value)."""
    reported: list[Outcome] = []
    retracted: list[Outcome] = []
    for oid, before in change.before.items():
        after = outputs.get(oid, MISSING)
        if before is after or (before is not MISSING and after is not MISSING and before == after):
            continue
        if before is not MISSING:
            retracted.append(before)
        if after is not MISSING:
            reported.append(after)
    return Decision.collect(
        event_id, etype, reported, retracted=retracted, warnings=change.warnings
    )
