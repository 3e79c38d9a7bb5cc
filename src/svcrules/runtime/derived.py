"""Runtime: the derived event vocabulary: the event types the ledger emits from state changes
(``deadline.breached``, ``score.crossed`` ...), their standard fields, and the function that adds
them to every pack's ``events`` so rules can match them with ``on:`` and read them in ``when:``.

Plain data (stdlib only): the pack schema, the checks, the compiler and the ledger all read it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

_DEADLINE = {
    "clock": "string",
    "rule": "string",
    "start": "datetime",
    "due": "datetime",
    "unit": "string",
    "severity": "string",
    "fraction": "number",
    "late_by_minutes": "number",
}
_SCORE = {
    "scorecard": "string",
    "period": "string",
    "score": "int",
    "points": "int",
    "threshold": "string",
    "level": "int",
    "rule": "string",
}
_COUNTER = {
    "counter": "string",
    "key": "string",
    "count": "int",
    "limit": "int",
    "period": "string",
    "rule": "string",
}
_SCHEDULE = {
    "schedule": "string",
    "occurrence": "datetime",
    "rule": "string",
    "late_by_minutes": "number",
}

DERIVED_EVENTS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "deadline.started": (
        "a clock opened (for `starts: all`, when its last start event came)",
        _DEADLINE,
    ),
    "deadline.warned": (
        "a clock is still running at a `warn_at` fraction of its target",
        _DEADLINE,
    ),
    "deadline.met": ("a clock was stopped on time", _DEADLINE),
    "deadline.breached": ("a clock passed its due time unstopped (and unexcused)", _DEADLINE),
    "score.changed": ("a deduction changed a subject's score", _SCORE),
    "score.crossed": ("a score crossed one of its scorecard's thresholds", _SCORE),
    "counter.exceeded": ("a counter went above its limit", _COUNTER),
    "schedule.missed": ("an occurrence of a schedule passed without its event", _SCHEDULE),
    "schedule.late": (
        "an occurrence of a schedule was met late, within the schedule's `grace`",
        _SCHEDULE,
    ),
}
"""Derived event type -> (description, standard fields: name -> field type)."""

DEADLINE_EVENTS = ("deadline.started", "deadline.warned", "deadline.met", "deadline.breached")
SCORE_EVENTS = ("score.changed", "score.crossed")
COUNTER_EVENTS = ("counter.exceeded",)
SCHEDULE_EVENTS = ("schedule.missed", "schedule.late")


def with_derived_events(data: Any) -> Any:
    """``data`` (a pack as plain data) with the derived event types added to ``events``; a type
    the pack declares itself keeps its own fields and gains the standard ones it lacks."""
    if not isinstance(data, Mapping):
        return data
    events = data.get("events", {})
    if events is None:
        events = {}
    if not isinstance(events, Mapping):
        return data  # the schema reports it
    merged: dict[Any, Any] = dict(events)
    for etype, (description, fields) in DERIVED_EVENTS.items():
        standard = {name: {"type": ftype} for name, ftype in fields.items()}
        own = merged.get(etype)
        if own is None:
            merged[etype] = {"description": f"(derived) {description}", "fields": standard}
        elif isinstance(own, Mapping) and isinstance(own.get("fields", {}), Mapping):
            own = copy.copy(dict(own))
            own["fields"] = {**standard, **dict(own.get("fields") or {})}
            merged[etype] = own
    out = dict(data)
    out["events"] = merged
    return out
