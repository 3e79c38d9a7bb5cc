"""Effects: what every effect kind provides (its spec, its checks, its expression sites and its
emitter) and the contexts the checker and the compiler hand it.

An effect kind is one module of this package: a pydantic ``EffectSpec`` subclass whose methods
check it and emit its code, plus, where it needs one, the runtime callable that generated code
calls. Registering it is one line: its field on ``RuleSpec`` (``svcrules.pack.schema``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, StringConstraints

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.runtime.effects import RuleMeta

if TYPE_CHECKING:
    from svcrules.calendars import Calendar

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""Names of params, calendars, scorecards, counters, clocks and fields: ``snake_case``."""
ExprText = Annotated[str, StringConstraints(min_length=1)]
Unit = Literal["minutes", "hours", "days", "workdays", "months", "business_hours"]
Period = Literal["week", "month", "quarter", "year"]

Site = tuple[str | int, ...]
"""Where an expression sits inside its effect, e.g. ``("within",)``."""


class Spec(BaseModel):
    # defer_build: the validators are built on first use, not at `import svcrules`
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


@dataclass(frozen=True, slots=True)
class Names:
    """What references may point at: the spec's own names, plus (after schema errors) the names
    the document declares in parts set aside as broken, so one mistake gives one diagnostic."""

    events: frozenset[str]
    editions: frozenset[str]
    sources: frozenset[str]
    calendars: frozenset[str]
    scorecards: frozenset[str]
    clocks: frozenset[str]
    """Clocks some rule starts."""
    counters: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What an effect's checks may look at: its rule, where it is, the names it may refer to."""

    rule_id: str
    event_types: tuple[str, ...]
    path: str
    """JSON path of the effect itself, e.g. ``$.rules[3].deadline``."""
    fields: Mapping[str, str]
    """Fields (name -> type) every event type of the rule has."""
    names: Names
    known: Callable[[str, str], str | None]
    """A hint for a name not found in a section (``"calendars"``, ``"scorecards"`` ...): "did
    you mean" the closest, else the known names."""
    fields_known: bool = True
    """False when an event type of the rule is undeclared or was set aside: ``fields`` then
    holds only the standard ones, and field references are not checked (no cascade)."""

    def at(self, *parts: str | int) -> str:
        return join_path(self.path, *parts)

    def problem(
        self, code: str, message: str, *parts: str | int, hint: str | None = None
    ) -> Diagnostic:
        return Diagnostic(code, message, self.at(*parts), hint=hint, rule=self.rule_id)


@dataclass(slots=True)
class EmitContext:
    """What an effect's emitter gets from the compiler: the rule's metadata, the pack's time
    zone, a way to inline an expression and to bind a constant into the generated globals."""

    meta: RuleMeta
    event_types: tuple[str, ...]
    tz: ZoneInfo
    inline: Callable[[str | int | Decimal | None, Site], str]
    """Python source for the expression at a site (its checked tree, or a folded constant)."""
    bind: Callable[[Any], str]
    """Bind an object (the effect's runtime callable) into the globals; returns its name."""
    calendar_for: Callable[[str | None, str], Calendar | None]
    """The calendar a clock uses: named, else the pack's default for the unit."""
    scorecard_period: Callable[[str], str]
    counter_key: Callable[[str], str] = lambda name: "subject"
    """The event field a counter is keyed by."""


@dataclass(frozen=True, slots=True)
class Emitted:
    """An effect's code: a call producing its outcome, plus anything the compiler must know."""

    call: str
    """A Python expression whose value is appended to the outcomes."""
    summary: str
    """One line for ``svcrules explain``."""
    guards: tuple[str, ...] = ()
    """Conditions the effect adds to the rule's (a check fires when its assertion fails)."""
    reads: tuple[str, ...] = ()
    """Event fields the effect reads outside its expressions (e.g. ``before``)."""


class EffectSpec(Spec):
    """Base of every effect kind's spec. Subclasses override what applies to them."""

    key: ClassVar[str]
    """The rule key that holds this effect, e.g. ``deadline``."""

    def expr_sites(self) -> Iterator[tuple[Site, str]]:
        """Every expression of the effect, with its site."""
        return iter(())

    def declares(self) -> Iterator[tuple[str, str]]:
        """Names this effect declares for others to refer to, as ``(section, name)``."""
        return iter(())

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        """Semantic problems of this effect in its rule."""
        return iter(())

    def produces(self) -> tuple[str, ...]:
        """Derived event types the ledger may emit because of this effect (for the cycle check)."""
        return ()

    def emit(self, ctx: EmitContext) -> Emitted:  # pragma: no cover - every kind overrides it
        raise NotImplementedError
