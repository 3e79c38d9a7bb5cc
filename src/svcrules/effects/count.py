"""Effects: ``count`` adds to a named counter for the event's key (``CountIntent``); the ledger
tallies it per key and period or window and emits ``counter.exceeded`` above the limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from svcrules.diagnostics import Diagnostic
from svcrules.effects.base import CheckContext, EffectSpec, EmitContext, Emitted, Name
from svcrules.runtime.derived import COUNTER_EVENTS
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.intents import CountIntent


class CountSpec(EffectSpec):
    """Adds to a counter for the event's key."""

    key: ClassVar[str] = "count"

    counter: Name = Field(description="A counter declared under `counters`")
    by: int = Field(default=1, description="How much one event adds (a positive whole number)")

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        if self.counter not in ctx.names.counters:
            yield ctx.problem(
                "ref.counter",
                f"counter {self.counter!r} is not declared in `counters`",
                "counter",
                hint=ctx.known("counters", self.counter),
            )
        if self.by < 1:
            yield ctx.problem("count.by", "a count adds a positive whole number", "by")

    def produces(self) -> tuple[str, ...]:
        return COUNTER_EVENTS

    def emit(self, ctx: EmitContext) -> Emitted:
        field = ctx.counter_key(self.counter)
        fx = ctx.bind(CountEffect(ctx.meta, self.counter, field, self.by))
        return Emitted(
            f"{fx}(e)", f"count {self.by} on counter {self.counter} by {field}", reads=(field,)
        )


@dataclass(frozen=True, slots=True)
class CountEffect:
    meta: RuleMeta
    counter: str
    field: str
    by: int

    def __call__(self, e: Mapping[str, Any]) -> CountIntent:
        key = e.get(self.field)
        if key is None:
            raise ValueError(f"counter {self.counter!r} is keyed by `{self.field}`")
        meta = self.meta
        return CountIntent(
            rule=meta.rule,
            counter=self.counter,
            key=str(key),
            at=e["at"],
            amount=self.by,
            case=e.get("case"),
            subject=e.get("subject"),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
        )
