"""Effects: ``escalate`` raises a matter to a role at a level of a ladder (``Escalation``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from svcrules.diagnostics import Diagnostic
from svcrules.effects.base import CheckContext, EffectSpec, EmitContext, Emitted
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.results import Escalation


class EscalateSpec(EffectSpec):
    """Raises the matter to a role at a level of a ladder."""

    key: ClassVar[str] = "escalate"

    to: str = Field(description="Who the matter goes to (a role)", examples=["manager"])
    level: int = Field(default=1, description="The step of the escalation ladder, from 1")
    reason: str | None = Field(
        default=None, description="Why (default: the rule's title, else its id)"
    )

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        if self.level < 1:
            yield ctx.problem("escalate.level", "escalation levels start at 1", "level")

    def emit(self, ctx: EmitContext) -> Emitted:
        reason = self.reason or ctx.meta.title or ctx.meta.rule
        fx = ctx.bind(EscalateEffect(ctx.meta, self.to, self.level, reason))
        return Emitted(f"{fx}(e)", f"escalate to {self.to} at level {self.level}")


@dataclass(frozen=True, slots=True)
class EscalateEffect:
    meta: RuleMeta
    to: str
    level: int
    reason: str

    def __call__(self, e: Mapping[str, Any]) -> Escalation:
        meta = self.meta
        return Escalation(
            rule=meta.rule,
            to=self.to,
            level=self.level,
            reason=self.reason,
            case=e.get("case"),
            subject=e.get("subject"),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
            at=e["at"],
        )
