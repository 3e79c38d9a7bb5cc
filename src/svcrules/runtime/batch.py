"""Runtime: batches: a decision or a rejection for every input, in order, never stopping; shared
by ``Engine.evaluate_many``, ``Ledger.apply_many`` and the backends."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from svcrules.errors import EventError
from svcrules.limits import number_problem
from svcrules.runtime.events import Event
from svcrules.runtime.results import Decision, Rejection


def each(
    decide: Callable[[Any], Decision], events: Iterable[Any]
) -> Iterator[Decision | Rejection]:
    """``decide(event)`` for every event; an ``EventError`` becomes that event's ``Rejection``."""
    for index, event in enumerate(events):
        try:
            yield decide(event)
        except EventError as exc:
            yield Rejection(event_id=rejected_id(event), index=index, error=exc)


def rejected_id(event: Any) -> str | None:
    """A rejected event's id as text, if it has a usable one: a string, or a number within the
    bounds of docs/security.md (``str()`` of a 5,000-digit integer would itself fail)."""
    if isinstance(event, Event):
        event_id: Any = event.id
    else:
        event_id = event.get("id") if isinstance(event, Mapping) else None
    if isinstance(event_id, str):
        return event_id
    if isinstance(event_id, int | Decimal | float) and number_problem(event_id) is None:
        return str(event_id)
    return None
