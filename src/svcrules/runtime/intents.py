"""Runtime: the intents of the ``count`` and ``schedule`` effects: what a compiled handler
returns for the ledger when an event adds to a counter or meets a schedule's occurrence.

They are not results: the stateless engine drops them (a count or a missed occurrence needs the
ledger); the ledger routes each to its key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from svcrules.runtime.results import Cite


@dataclass(frozen=True, slots=True, kw_only=True)
class CountIntent:
    """Add ``amount`` to counter ``counter`` for ``key`` at ``at``."""

    rule: str
    counter: str
    key: str
    at: dt.datetime
    amount: int = 1
    case: str | None = None
    subject: str | None = None
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleIntent:
    """An event that meets the occurrence of schedule ``schedule`` for ``subject`` at ``at``."""

    rule: str
    schedule: str
    subject: str
    at: dt.datetime
    case: str | None = None
    cite: Cite
    pack: str
    pack_version: str = ""
    event_id: str | None = None


Intent = CountIntent | ScheduleIntent
