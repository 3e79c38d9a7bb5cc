"""Ledger: folds one scorecard period ``(pack, scorecard, subject, period)``: the score after
each deduction (floor and cap applied) and the ``score.changed`` / ``score.crossed`` events."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, replace

from svcrules.ledger.model import Derived, Entry, Fold, Key, derived_id
from svcrules.runtime.plans import ScorecardPlan
from svcrules.runtime.results import Deduction


@dataclass(frozen=True, slots=True)
class ScoreView:
    """A period's score after each deduction, for as-of queries."""

    base: int
    instants: tuple[dt.datetime, ...]
    scores: tuple[int, ...]
    last: tuple[dt.datetime, str, int] | None

    def at(self, instant: dt.datetime | None) -> int:
        if instant is None:
            return self.scores[-1] if self.scores else self.base
        i = bisect.bisect_right(self.instants, instant.astimezone(dt.UTC))
        return self.scores[i - 1] if i else self.base


def fold_score(key: Key, entries: list[Entry], plan: ScorecardPlan) -> Fold:
    """Deductions in event-time order: each takes ``points`` (at most what the cap leaves, never
    below the floor); thresholds fire once per period, in the order the pack lists them."""
    fold = Fold()
    score, taken = plan.base, 0
    crossed: set[str] = set()
    instants: list[dt.datetime] = []
    scores: list[int] = []
    for entry in entries:
        d = entry.intent
        assert isinstance(d, Deduction)
        points = d.points
        if plan.cap is not None:
            points = min(points, max(0, plan.cap - taken))
        new = score - points
        if plan.floor is not None:
            new = max(plan.floor, new)
        applied = score - new
        taken += applied
        fold.outputs[(*key, "deduction", *map(str, entry.order[1:]))] = replace(d, score=new)
        fields = {
            "subject": d.subject,
            "case": d.case,
            "scorecard": d.scorecard,
            "period": d.period,
            "score": new,
            "points": applied,
            "rule": d.rule,
        }
        if applied:
            did = derived_id(key, "changed", *entry.order[1:])
            fold.derived[did] = Derived(did, "score.changed", entry.at, fields)
        for th in plan.thresholds:
            if th.name not in crossed and th.holds(new) and not th.holds(score):
                crossed.add(th.name)
                did = derived_id(key, "crossed", th.name)
                more = {"threshold": th.name, "level": th.level}
                fold.derived[did] = Derived(did, "score.crossed", entry.at, {**fields, **more})
        score = new
        instants.append(entry.at)
        scores.append(score)
    fold.view = ScoreView(
        plan.base, tuple(instants), tuple(scores), entries[-1].order if entries else None
    )
    return fold
