"""Effects: ``check`` asserts a condition on the event; when it fails, a ``Violation`` with the
observed value and the limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from svcrules.effects.base import EffectSpec, EmitContext, Emitted, ExprText, Site
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.results import Violation


class CheckSpec(EffectSpec):
    """A condition the event must meet; a `Violation` when it does not."""

    key: ClassVar[str] = "check"

    assert_: ExprText = Field(
        alias="assert",
        description="Expression that must hold; a violation is reported when it is false",
        examples=["v * 100 <= nominal_v * 107"],
    )
    message: str = Field(description="What the violation says")
    observed: ExprText | None = Field(
        default=None, description="Expression for the value reported as observed", examples=["v"]
    )
    limit: ExprText | None = Field(
        default=None, description="Expression for the limit reported beside it"
    )

    def expr_sites(self) -> Iterator[tuple[Site, str]]:
        yield ("assert",), self.assert_
        if self.observed is not None:
            yield ("observed",), self.observed
        if self.limit is not None:
            yield ("limit",), self.limit

    def emit(self, ctx: EmitContext) -> Emitted:
        fx = ctx.bind(CheckEffect(ctx.meta, self.message))
        observed = ctx.inline(self.observed, ("observed",))
        limit = ctx.inline(self.limit, ("limit",))
        return Emitted(
            f"{fx}(e, {observed}, {limit})",
            f"check {self.assert_}",
            guards=(f"not {ctx.inline(self.assert_, ('assert',))}",),
        )


@dataclass(frozen=True, slots=True)
class CheckEffect:
    meta: RuleMeta
    message: str

    def __call__(self, e: Mapping[str, Any], observed: Any, limit: Any) -> Violation:
        meta = self.meta
        return Violation(
            rule=meta.rule,
            severity=meta.severity,
            message=self.message,
            observed=observed,
            limit=limit,
            case=e.get("case"),
            subject=e.get("subject"),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
            at=e["at"],
        )
