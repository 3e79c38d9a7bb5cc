"""Schema: the ``kpis:`` section's models (``KpiSpec``, its target forms); the checks that span
the pack (clocks, rules, scorecards it names) are in ``pack.kpis``; docs/kpis.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    Field,
    InstanceOf,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from svcrules.effects.base import Name, Spec
from svcrules.pack.citespec import CiteSpec
from svcrules.runtime.kpis import OPS, KpiKind, KpiOp, KpiPeriod

KpiId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]

_TARGET = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*$")


class TargetSpec(Spec):
    op: Literal[">=", ">", "<=", "<", "=="] = Field(description="How the value is compared")
    value: Decimal = Field(description="The target, exact; a ratio as a fraction 0..1")


@dataclass(frozen=True)
class BadTarget:
    """A ``target`` that is neither an ``'op number'`` text nor an ``{op, value}`` mapping, kept
    as written so that the KPI checks report it as ``kpi.bad-target`` at the key (with what is
    wrong in it) rather than as a union of schema errors."""

    data: object


class KpiSpec(Spec):
    """A KPI over many outcomes: an on-time rate, a share, a count or an average score."""

    id: KpiId = Field(description="The KPI's id, unique in the pack")
    title: str = Field(description="The KPI's name as a report shows it")
    measures: str | None = Field(default=None, description="What it measures, in words")
    kind: KpiKind = Field(
        description="`on_time`: met / (met + breached) clocks by due period; `share`: clocks "
        "stopped at all / clocks started, by start period; `count`: outcomes of `outcome` in "
        "the period; `average_score`: mean end-of-period score of `scorecard` over subjects"
    )
    period: KpiPeriod = Field(default="month", description="The period each value covers")
    target: str | TargetSpec | SkipJsonSchema[InstanceOf[BadTarget]] | None = Field(
        default=None,
        description="An operator and an exact number, e.g. '>= 0.95' or {op: '>=', value: 0.95}",
    )
    clock: Name | tuple[Name, ...] | None = Field(
        default=None, description="`on_time`, `share`, `count` of breaches: the clock(s)"
    )
    rules: tuple[str, ...] = Field(
        default=(), description="Only outcomes of these rules (default: all of the kind)"
    )
    outcome: Literal["escalation", "violation", "deduction", "breach"] | None = Field(
        default=None, description="`count`: the kind of outcome counted"
    )
    scorecard: Name | None = Field(default=None, description="`average_score`: the scorecard")
    subjects: tuple[str, ...] = Field(
        default=(),
        description="`average_score`: subjects counted at the base score when they have no "
        "deduction in the period (subjects with a deduction are always counted)",
    )
    cite: CiteSpec = Field(description="Where the KPI and its target come from")
    catalog: tuple[str, ...] = Field(default=(), description="Catalog ids, e.g. KPI-02")

    @field_validator("target", mode="wrap")
    @classmethod
    def _keep_bad_target(cls, value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError:
            return BadTarget(value)

    @property
    def clocks(self) -> tuple[str, ...]:
        if self.clock is None:
            return ()
        return (self.clock,) if isinstance(self.clock, str) else self.clock

    @property
    def goal(self) -> tuple[KpiOp, Decimal] | None:
        """The target as (operator, value); None when absent or unreadable."""
        if isinstance(self.target, TargetSpec):
            return self.target.op, self.target.value
        if not isinstance(self.target, str) or not (m := _TARGET.match(self.target)):
            return None
        op = m.group(1)
        assert op in OPS
        return op, Decimal(m.group(2))  # type: ignore[return-value]  # the pattern's ops are OPS
