"""Ledger: state on event time (SLA clocks, scorecards, counters, schedules, escalation ladders
on derived events) over an engine's compiled packs; ``Engine.ledger()`` makes one.

Stdlib and dateutil only: the engine hands it compiled packs and their ``LedgerPlan``.
"""

from svcrules.ledger.ledger import Ledger

__all__ = ["Ledger"]
