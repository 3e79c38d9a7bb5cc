"""Schema: the pydantic ``*Spec`` models a pack is validated into (the pipeline's "AST").

Everything here is frozen and forbids unknown keys, so a typo in a pack is an error, not a silently
ignored key. Semantic checks that span several parts of a pack (references, cycles, ordering) live
in ``checks``; expressions are kept as text here and parsed by ``expr`` during the checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, model_validator

from svcrules.effects import (
    CheckSpec,
    CountSpec,
    DeadlineSpec,
    DeductSpec,
    EffectSpec,
    EscalateSpec,
    ScheduleSpec,
)
from svcrules.effects.base import ExprText, Name, Period, Spec
from svcrules.expr import Expr
from svcrules.pack.params import ParamTypeSpec
from svcrules.runtime.derived import with_derived_events
from svcrules.runtime.events import STANDARD_FIELDS
from svcrules.runtime.kpis import OPS, KpiKind, KpiOp, KpiPeriod

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
PackName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]

FieldType = Literal["string", "int", "number", "bool", "datetime", "date", "enum", "list"]


class CiteSpec(Spec):
    """Where a rule comes from: the source document, article and line(s). Never the text itself."""

    doc: str = Field(description="Id of a document listed in the pack's `sources`")
    article: str | None = None
    line: int | str | None = Field(
        default=None, description="Line number(s) in the source, e.g. 117 or '34≡195'"
    )
    note: str | None = None


KpiId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]

_TARGET = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*$")


class TargetSpec(Spec):
    op: Literal[">=", ">", "<=", "<", "=="] = Field(description="How the value is compared")
    value: Decimal = Field(description="The target, exact; a ratio as a fraction 0..1")


class KpiSpec(Spec):
    """A KPI over many outcomes: an on-time rate, a share, a count or an average score."""

    id: KpiId = Field(description="The KPI's id, unique in the pack")
    title: str
    measures: str | None = Field(default=None, description="What it measures, in words")
    kind: KpiKind = Field(
        description="`on_time`: met / (met + breached) clocks by due period; `share`: clocks "
        "stopped at all / clocks started, by start period; `count`: outcomes of `outcome` in "
        "the period; `average_score`: mean end-of-period score of `scorecard` over subjects"
    )
    period: KpiPeriod = Field(default="month", description="The period each value covers")
    target: str | TargetSpec | None = Field(
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
    cite: CiteSpec
    catalog: tuple[str, ...] = Field(default=(), description="Catalog ids, e.g. KPI-02")

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
        if self.target is None or not (m := _TARGET.match(self.target)):
            return None
        op = m.group(1)
        assert op in OPS
        return op, Decimal(m.group(2))  # type: ignore[return-value]  # the pattern's ops are OPS


class SourceSpec(Spec):
    title: str
    edition: str | None = None
    url: str | None = None


class EditionSpec(Spec):
    title: str | None = None
    default: bool = False


class FieldSpec(Spec):
    type: FieldType = "string"
    values: tuple[str, ...] | None = Field(default=None, description="Allowed values of an enum")
    required: bool = False
    default: Any = None
    description: str | None = None


class EventTypeSpec(Spec):
    description: str | None = None
    fields: dict[Name, FieldSpec] = Field(default_factory=dict)


class CalendarSpec(Spec):
    base: str = Field(
        default="CN", description="ISO country code of the holiday data (CN, US, ...)"
    )
    timezone: str | None = None
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    hours: str | dict[str, str] | None = Field(
        default=None, description="Opening hours, e.g. '08:30-12:00,13:30-17:30'"
    )
    cutoff: str | None = Field(default=None, description="Daily cut-off, e.g. '17:00'")
    confirmed_through: int | None = None


class ThresholdSpec(Spec):
    name: Name
    at_or_below: int | None = None
    below: int | None = None


class ScorecardSpec(Spec):
    base: int = 100
    period: Period | Literal["cycle"] = "month"
    cycle_years: int | None = Field(default=None, description="`period: cycle`: its length")
    cycle_start: dt.date = Field(
        default=dt.date(2000, 1, 1), description="`period: cycle`: the first day of a cycle"
    )
    floor: int | None = None
    cap: int | None = Field(default=None, description="Most points one period can deduct")
    thresholds: tuple[ThresholdSpec, ...] = ()

    @property
    def period_key(self) -> str:
        """The period as ``period_label`` reads it (``cycle:3:2024-01-01`` for a cycle)."""
        if self.period == "cycle":
            return f"cycle:{self.cycle_years or 1}:{self.cycle_start.isoformat()}"
        return self.period


class WindowSpec(Spec):
    days: int = 0
    hours: int = 0
    minutes: int = 0


class CounterSpec(Spec):
    period: Period | None = None
    window: WindowSpec | None = Field(default=None, description="A sliding window, e.g. days: 30")
    limit: int
    key: Name = Field(default="subject", description="The event field the counter is kept by")
    reset_on: tuple[EventType, ...] = ()
    consecutive: bool = Field(
        default=False, description="A run: counts since the last `reset_on` event"
    )


class EffectiveSpec(Spec):
    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None


class RuleSpec(Spec):
    id: RuleId
    on: EventType | tuple[EventType, ...]
    title: str | None = None
    when: ExprText | None = None
    editions: tuple[str, ...] | None = None
    effective: EffectiveSpec | None = None
    severity: Literal["hard", "soft"] = "hard"
    cite: CiteSpec
    catalog: tuple[str, ...] = ()
    # The effect kinds: one field per kind is its registration (see svcrules.effects).
    deadline: DeadlineSpec | None = None
    deduct: DeductSpec | None = None
    escalate: EscalateSpec | None = None
    check: CheckSpec | None = None
    count: CountSpec | None = None
    schedule: ScheduleSpec | None = None

    @property
    def event_types(self) -> tuple[str, ...]:
        return (self.on,) if isinstance(self.on, str) else self.on

    @property
    def effects(self) -> tuple[EffectSpec, ...]:
        """The effects the rule sets (a valid rule sets exactly one)."""
        return tuple(e for name in EFFECTS if isinstance(e := getattr(self, name), EffectSpec))

    @property
    def effect(self) -> EffectSpec:
        """The rule's one effect (after the checks have passed)."""
        (effect,) = self.effects
        return effect


class PackSpec(Spec):
    """A whole pack, as validated input. ``extends`` names a base pack this one overlays."""

    pack: PackName
    version: str
    title: str
    timezone: str = "Asia/Shanghai"
    description: str | None = None
    extends: str | None = None
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    editions: dict[str, EditionSpec] = Field(default_factory=dict)
    params: dict[Name, Any] = Field(
        default_factory=dict,
        description="Named constants expressions read as `params.NAME`; each one's type is "
        "declared in `param_types` or inferred from its value here",
    )
    param_types: dict[Name, ParamTypeSpec] = Field(
        default_factory=dict,
        description="Optional: the type, unit and range of params (by name); overrides are "
        "checked against them",
    )
    edition_params: dict[str, dict[Name, Any]] = Field(
        default_factory=dict,
        description="Per edition, values merged over `params` when that edition is active",
    )
    calendars: dict[Name, CalendarSpec] = Field(default_factory=dict)
    scorecards: dict[Name, ScorecardSpec] = Field(default_factory=dict)
    counters: dict[Name, CounterSpec] = Field(default_factory=dict)
    events: dict[EventType, EventTypeSpec] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = ()
    kpis: tuple[KpiSpec, ...] = Field(
        default=(), description="KPIs over many outcomes, each with a period, target and cite"
    )
    disable: tuple[RuleId, ...] = Field(
        default=(), description="Overlay: ids of base rules to drop"
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_vocabulary(cls, data: Any) -> Any:
        """Every pack knows the ledger's derived event types (``deadline.breached`` ...)."""
        return with_derived_events(data)


EFFECTS: tuple[str, ...] = tuple(
    name
    for name, info in RuleSpec.model_fields.items()
    if isinstance(info.annotation, type | UnionType)
    and any(isinstance(t, type) and issubclass(t, EffectSpec) for t in get_args(info.annotation))
)
"""The effect keys of a rule, derived from ``RuleSpec``'s fields; a rule has exactly one."""


class Pack:
    """A loaded, checked pack: its spec, where it came from, and where each rule is written.

    ``load_pack`` returns these; ``Engine`` compiles them. ``edition`` is the edition selected at
    load time (the pack's default unless the caller picked another).
    """

    __slots__ = ("edition", "exprs", "locations", "source", "spec")

    def __init__(
        self,
        spec: PackSpec,
        *,
        source: str | None,
        edition: str | None,
        locations: dict[str, tuple[str | None, int | None, int | None]] | None = None,
        exprs: Mapping[tuple[str, tuple[str | int, ...]], Expr] | None = None,
    ) -> None:
        self.spec = spec
        self.exprs: Mapping[tuple[str, tuple[str | int, ...]], Expr] = exprs or {}
        """The checked expression trees by (rule id, site), parsed once by the checks."""
        self.source = source
        self.edition = edition
        self.locations = dict(locations or {})

    @property
    def name(self) -> str:
        return self.spec.pack

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def title(self) -> str:
        return self.spec.title

    def with_edition(self, edition: str | None) -> Pack:
        return Pack(
            self.spec,
            source=self.source,
            edition=edition,
            locations=self.locations,
            exprs=self.exprs,
        )

    def location(self, rule_id: str) -> str:
        file, line, col = self.locations.get(rule_id, (self.source, None, None))
        where = file or "<mapping>"
        return where if line is None else f"{where}:{line}:{col}"

    def __repr__(self) -> str:
        return f"<Pack {self.name} {self.version} edition={self.edition!r} from {self.source!r}>"


_NULL = {"type": "null"}


def pack_json_schema() -> dict[str, Any]:
    """The JSON Schema of a pack, for editors: optional keys without ``null`` alternatives (so a
    bad ``unit: hour`` is reported against the enum, not as "not valid under any of the given
    schemas"), and the draft it follows."""
    schema = _without_null(PackSpec.model_json_schema(by_alias=True))
    assert isinstance(schema, dict)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "svcrules pack"
    name = {"pattern": r"^[a-z][a-z0-9_]*$", "maxLength": 64}
    event = {"pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"}
    keys = {"params": name, "param_types": name, "calendars": name, "scorecards": name}
    for section, pattern in {**keys, "counters": name, "events": event}.items():
        schema["properties"][section]["propertyNames"] = pattern
    return schema


def _without_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_null(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_null(v) for k, v in node.items()}
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list) and _NULL in alternatives and out.get("default", 0) is None:
        rest = [x for x in alternatives if x != _NULL]
        del out["anyOf"], out["default"]
        if len(rest) == 1 and isinstance(rest[0], dict) and not set(rest[0]) & set(out):
            out.update(rest[0])
        else:
            out["anyOf"] = rest
    return out


def rule_fields(spec: PackSpec, rule: RuleSpec) -> dict[str, str]:
    """Fields (name → type) every event type of ``rule`` has: the standard ones plus declared."""
    common: dict[str, str] | None = None
    for etype in rule.event_types:
        ev = spec.events.get(etype)
        declared: dict[str, str] = {n: f.type for n, f in ev.fields.items()} if ev else {}
        fields: dict[str, str] = {
            "id": "string",
            "type": "string",
            "at": "datetime",
            "case": "string",
            "subject": "string",
            **declared,
        }
        common = fields if common is None else {n: t for n, t in common.items() if n in fields}
    return common or {n: "string" for n in STANDARD_FIELDS}
