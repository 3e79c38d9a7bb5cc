"""Ledger: folds one scorecard period ``(pack, scorecard, subject, period)``: the score after
each deduction (floor and cap applied) and the ``score.changed`` / ``score.crossed`` events;
``step_score`` folds one more in-order deduction from the carried state."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from svcrules.ledger.model import Derived, Entry, Fold, Key, derived_id
from svcrules.runtime.plans import ScorecardPlan
from svcrules.runtime.results import Deduction


@dataclass(frozen=True, slots=True)
class ScoreView:
    """A period's score after each deduction, for as-of queries."""

    base: int
    instants: Sequence[dt.datetime]
    scores: Sequence[int]
    last: tuple[dt.datetime, str, int] | None

    def at(self, instant: dt.datetime | None) -> int:
        if instant is None:
            return self.scores[-1] if self.scores else self.base
        i = bisect.bisect_right(self.instants, instant.astimezone(dt.UTC))
        return self.scores[i - 1] if i else self.base


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreHistory:
    """One subject's score on one scorecard over one period: the score after each deduction, at
    the deduction's time (``Ledger.score_history``; what a score trajectory is drawn from)."""

    pack: str
    scorecard: str
    subject: str
    period: str
    base: int
    points: tuple[tuple[dt.datetime, int], ...]
    """``(instant in UTC, score after the deduction)`` in event-time order."""

    def to_dict(self) -> dict[str, object]:
        return {
            "pack": self.pack,
            "scorecard": self.scorecard,
            "subject": self.subject,
            "period": self.period,
            "base": self.base,
            "points": [[t.isoformat(), s] for t, s in self.points],
        }


@dataclass(slots=True)
class ScoreCarry:
    """What a fold of a period's first N deductions leaves for deduction N+1."""

    score: int
    taken: int = 0
    crossed: set[str] = field(default_factory=set)
    instants: list[dt.datetime] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)


def fold_score(key: Key, entries: list[Entry], plan: ScorecardPlan) -> Fold:
    """Deductions in event-time order: each takes ``points`` (at most what the cap leaves, never
    below the floor); thresholds fire once per period, in the order the pack lists them."""
    fold = Fold()
    carry = ScoreCarry(plan.base)
    for entry in entries:
        _deduct(key, entry, plan, carry, fold)
    fold.view = _view(plan, carry, entries[-1].order if entries else None)
    fold.carry = carry
    return fold


def step_score(key: Key, entry: Entry, plan: ScorecardPlan, carry: ScoreCarry) -> Fold:
    """One deduction after every one ``carry`` holds: only what it adds (outputs, derived
    events) and the new view; ``carry`` moves on. The same as ``fold_score`` of them all."""
    fold = Fold()
    _deduct(key, entry, plan, carry, fold)
    fold.view = _view(plan, carry, entry.order)
    fold.carry = carry
    return fold


def _view(
    plan: ScorecardPlan, carry: ScoreCarry, last: tuple[dt.datetime, str, int] | None
) -> ScoreView:
    # the carry's lists, shared: a view is replaced (never kept) when the carry moves on
    return ScoreView(plan.base, carry.instants, carry.scores, last)


def _deduct(key: Key, entry: Entry, plan: ScorecardPlan, carry: ScoreCarry, fold: Fold) -> None:
    d = entry.intent
    assert isinstance(d, Deduction)
    score = carry.score
    points = d.points
    if plan.cap is not None:
        points = min(points, max(0, plan.cap - carry.taken))
    new = score - points
    if plan.floor is not None:
        new = max(plan.floor, new)
    applied = score - new
    carry.taken += applied
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
        if th.name not in carry.crossed and th.holds(new) and not th.holds(score):
            carry.crossed.add(th.name)
            did = derived_id(key, "crossed", th.name)
            more = {"threshold": th.name, "level": th.level}
            fold.derived[did] = Derived(did, "score.crossed", entry.at, {**fields, **more})
    carry.score = new
    carry.instants.append(entry.at)
    carry.scores.append(new)
