"""Effects: ``deduct`` takes points from a subject's scorecard for the event's period
(``Deduction``); the ledger turns it into a score."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field

from svcrules.diagnostics import Diagnostic
from svcrules.effects.base import (
    CheckContext,
    EffectSpec,
    EmitContext,
    Emitted,
    ExprText,
    Name,
    Site,
)
from svcrules.limits import number_problem
from svcrules.runtime.derived import SCORE_EVENTS
from svcrules.runtime.due import period_label
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.results import Deduction


class DeductSpec(EffectSpec):
    """Takes points off a subject's score for the period."""

    key: ClassVar[str] = "deduct"

    scorecard: Name = Field(description="A scorecard declared under `scorecards`")
    points: int | ExprText = Field(
        description="Points taken off: a positive whole number or an expression",
        examples=[5, "params.late_points"],
    )
    subject: ExprText = Field(
        default="subject", description="Expression for whose score it is (default: `subject`)"
    )

    def expr_sites(self) -> Iterator[tuple[Site, str]]:
        if isinstance(self.points, str):
            yield ("points",), self.points
        yield ("subject",), self.subject

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        if self.scorecard not in ctx.names.scorecards:
            yield ctx.problem(
                "ref.scorecard",
                f"scorecard {self.scorecard!r} is not declared in `scorecards`",
                "scorecard",
                hint=ctx.known("scorecards", self.scorecard),
            )
        if isinstance(self.points, int) and self.points <= 0:
            yield ctx.problem(
                "deduct.points", "points deducted are a positive whole number", "points"
            )

    def produces(self) -> tuple[str, ...]:
        return SCORE_EVENTS

    def emit(self, ctx: EmitContext) -> Emitted:
        fx = ctx.bind(
            DeductEffect(ctx.meta, self.scorecard, ctx.scorecard_period(self.scorecard), ctx.tz)
        )
        points = ctx.inline(self.points, ("points",))
        subject = ctx.inline(self.subject, ("subject",))
        return Emitted(
            f"{fx}(e, {points}, {subject})",
            f"deduct {self.points} from {self.subject} on scorecard {self.scorecard}",
        )


@dataclass(frozen=True, slots=True)
class DeductEffect:
    meta: RuleMeta
    scorecard: str
    period: str
    tz: ZoneInfo

    def __call__(self, e: Mapping[str, Any], points: Any, subject: Any) -> Deduction:
        if isinstance(points, bool) or not isinstance(points, int | Decimal):
            raise TypeError(f"points must be a number, got {type(points).__name__}")
        problem = number_problem(points)  # before int(), quadratic in a decimal's exponent
        if problem is not None:
            raise ValueError(f"points out of bounds: {problem}")
        if points <= 0 or points != int(points):
            raise ValueError(f"points must be a positive whole number, got {points}")
        if subject is None:
            raise ValueError("a deduction needs a subject")
        meta = self.meta
        return Deduction(
            rule=meta.rule,
            subject=str(subject),
            points=int(points),
            scorecard=self.scorecard,
            period=period_label(e["at"], self.period, self.tz),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
            at=e["at"],
            case=e.get("case"),
        )
