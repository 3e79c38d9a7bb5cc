"""Scale: evaluating batches of events into outcome rows: stateless (``evaluate_frame``: one
row per outcome of each event) and stateful (``Tally``: a ledger's decisions netted into the
outcomes that hold at the end, whatever order the events came in)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from svcrules.engine import Engine
from svcrules.ledger import Ledger
from svcrules.runtime import Decision, Rejection
from svcrules.scale.rows import Row, events_of_frame, frame_of, outcome_row, rejection_row

if TYPE_CHECKING:
    import pandas as pd


def evaluate_rows(engine: Engine, events: Iterable[Any]) -> list[Row]:
    """One row per outcome of each event (``Engine.evaluate_many``), one per rejected event."""
    rows: list[Row] = []
    for result in engine.evaluate_many(events):
        if isinstance(result, Rejection):
            rows.append(rejection_row(result))
        else:
            rows.extend(outcome_row(o) for o in result.outcomes)
    return rows


def evaluate_frame(engine: Engine, df: pd.DataFrame) -> pd.DataFrame:
    """A pandas frame of events (a column per field; nulls are absent fields) in, the outcome
    table out (``svcrules.scale.COLUMNS``). Needs no cluster."""
    return frame_of(evaluate_rows(engine, events_of_frame(df)))


class Tally:
    """The outcomes that hold, from a ledger's decisions: each reported outcome counts one up,
    each retracted one counts it down, so what is left is the ledger's current outcomes (a
    changed outcome is its old value retracted and its new value reported). Rejections are
    kept apart: they are not state."""

    def __init__(self, counts: Mapping[Row, int] | None = None) -> None:
        self.counts: Counter[Row] = Counter(counts or {})
        self.rejections: list[Row] = []

    def add(self, result: Decision | Rejection) -> None:
        if isinstance(result, Rejection):
            self.rejections.append(rejection_row(result))
            return
        counts = self.counts
        for o in result.outcomes:
            counts[outcome_row(o)] += 1
        for o in result.retracted:
            row = outcome_row(o)
            counts[row] -= 1
            if not counts[row]:
                del counts[row]

    def rows(self) -> list[Row]:
        """The outcomes that hold (each as often as it holds), then the rejections."""
        out = [row for row, n in self.counts.items() for _ in range(n)]
        if any(n < 0 for n in self.counts.values()):
            raise AssertionError("an outcome was retracted more often than it was reported")
        return out + self.rejections


def apply_rows(
    ledger: Ledger, events: Iterable[Any], until: Any = None, tally: Tally | None = None
) -> Tally:
    """Apply ``events`` to ``ledger`` (any order), advance it to ``until`` if given, and
    return the tally of what holds (added to ``tally`` when resuming)."""
    tally = tally if tally is not None else Tally()
    for result in ledger.apply_many(events):
        tally.add(result)
    if until is not None:
        tally.add(ledger.advance(until))
    return tally


def apply_frame(ledger: Ledger, df: pd.DataFrame, until: Any = None) -> pd.DataFrame:
    """The stateful batch entry point: a frame of events folded by ``ledger`` (advanced to
    ``until``), the outcomes that hold at the end (and the rejections) as a frame."""
    return frame_of(apply_rows(ledger, events_of_frame(df), until).rows())
