"""Schema: the pydantic ``*Spec`` models a pack is validated into (the pipeline's "AST").

Everything here is frozen and forbids unknown keys, so a typo in a pack is an error, not a silently
ignored key. Semantic checks that span several parts of a pack (references, cycles, ordering) live
in ``checks``; expressions are kept as text here and parsed by ``expr`` during the checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (
    Field,
    StringConstraints,
    model_validator,
)

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
from svcrules.pack.citespec import CiteSpec
from svcrules.pack.kpispec import KpiSpec
from svcrules.pack.params import ParamTypeSpec
from svcrules.runtime.derived import with_derived_events
from svcrules.runtime.events import STANDARD_FIELDS

if TYPE_CHECKING:
    from svcrules.pack.overlay import ParamLayer

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
PackName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]

FieldType = Literal["string", "int", "number", "bool", "datetime", "date", "enum", "list"]


class SourceSpec(Spec):
    """A source document rules cite by its id (the key under `sources`)."""

    title: str = Field(description="The document's title")
    edition: str | None = Field(
        default=None, description="Which version or printing of the document", examples=["2003"]
    )
    url: str | None = Field(default=None, description="Where the document can be read")


class EditionSpec(Spec):
    """A version of the policy; rules may be limited to some editions."""

    title: str | None = Field(default=None, description="A readable name for the edition")
    default: bool = Field(
        default=False, description="The edition used when none is chosen (exactly one has it)"
    )


class FieldSpec(Spec):
    """A field events of one type carry (besides id, type, at, case and subject)."""

    type: FieldType = Field(default="string", description="The field's value type")
    values: tuple[str, ...] | None = Field(default=None, description="Allowed values of an enum")
    required: bool = Field(
        default=False, description="Whether an event without this field (or with null) is refused"
    )
    default: Any = Field(
        default=None, description="The value used when an event leaves the field out"
    )
    description: str | None = Field(default=None, description="What the field means")


class EventTypeSpec(Spec):
    """An event type rules may match in `on`."""

    description: str | None = Field(default=None, description="What the event means")
    fields: dict[Name, FieldSpec] = Field(
        default_factory=dict,
        description="The event's own fields by name (snake_case); id, type, at, case and "
        "subject are always there",
        examples=[{"area": {"type": "enum", "values": ["urban", "rural"], "required": True}}],
    )


class CalendarSpec(Spec):
    """A working-day calendar: a country's public holidays plus local changes."""

    base: str = Field(
        default="CN", description="ISO country code of the holiday data (CN, US, ...)"
    )
    timezone: str | None = Field(
        default=None,
        description="IANA time zone of the calendar (default: the pack's)",
        examples=["Asia/Shanghai"],
    )
    extra_holidays: tuple[dt.date, ...] = Field(
        default=(), description="Dates that are not working days", examples=[["2025-01-02"]]
    )
    extra_workdays: tuple[dt.date, ...] = Field(
        default=(), description="Dates that are working days (e.g. a swapped weekend day)"
    )
    hours: str | dict[str, str] | None = Field(
        default=None, description="Opening hours, e.g. '08:30-12:00,13:30-17:30'"
    )
    cutoff: str | None = Field(default=None, description="Daily cut-off, e.g. '17:00'")
    confirmed_through: int | None = Field(
        default=None, description="The last year whose holidays have been checked by hand"
    )


class ThresholdSpec(Spec):
    """A named level of a scorecard, crossed when the score falls to it."""

    name: Name = Field(description="The threshold's name, reported when it is crossed")
    at_or_below: int | None = Field(
        default=None, description="Crossed when the score is at or below this"
    )
    below: int | None = Field(default=None, description="Crossed when the score is below this")


class ScorecardSpec(Spec):
    """Points a subject starts each period with, and `deduct` rules take away."""

    base: int = Field(default=100, description="The score at the start of each period")
    period: Period | Literal["cycle"] = Field(
        default="month", description="How long a score lasts before it starts again at `base`"
    )
    cycle_years: int | None = Field(default=None, description="`period: cycle`: its length")
    cycle_start: dt.date = Field(
        default=dt.date(2000, 1, 1), description="`period: cycle`: the first day of a cycle"
    )
    floor: int | None = Field(default=None, description="The lowest the score can fall")
    cap: int | None = Field(default=None, description="Most points one period can deduct")
    thresholds: tuple[ThresholdSpec, ...] = Field(
        default=(), description="Levels reported when crossed, highest first"
    )

    @property
    def period_key(self) -> str:
        """The period as ``period_label`` reads it (``cycle:3:2024-01-01`` for a cycle)."""
        if self.period == "cycle":
            return f"cycle:{self.cycle_years or 1}:{self.cycle_start.isoformat()}"
        return self.period


class WindowSpec(Spec):
    """A span of time: the sum of its parts."""

    days: int = Field(default=0, description="Whole days")
    hours: int = Field(default=0, description="Whole hours")
    minutes: int = Field(default=0, description="Whole minutes")


class CounterSpec(Spec):
    """A count of events per key (subject by default), reported when it exceeds `limit`."""

    period: Period | None = Field(
        default=None, description="A calendar period the count starts again in"
    )
    window: WindowSpec | None = Field(default=None, description="A sliding window, e.g. days: 30")
    limit: int = Field(description="The most events allowed; one more is `counter.exceeded`")
    key: Name = Field(default="subject", description="The event field the counter is kept by")
    reset_on: tuple[EventType, ...] = Field(
        default=(), description="Event types that set the count back to zero"
    )
    consecutive: bool = Field(
        default=False, description="A run: counts since the last `reset_on` event"
    )


class EffectiveSpec(Spec):
    """The dates a rule applies between (by the event's date)."""

    from_: dt.date | None = Field(
        default=None, alias="from", description="First day the rule applies (inclusive)"
    )
    until: dt.date | None = Field(
        default=None, description="Day the rule stops applying (exclusive)"
    )


class RuleSpec(Spec):
    """One rule: on which events, under which condition, with which effect, citing which clause."""

    id: RuleId = Field(
        description="Unique id of the rule (lowercase, digits, `_`, `.`, `-`)",
        examples=["arrival.urban"],
    )
    on: EventType | tuple[EventType, ...] = Field(
        description="The event type(s) the rule matches",
        examples=["fault.reported", ["acceptance.passed", "contract.signed"]],
        json_schema_extra={
            "markdownDescription": "The event type the rule matches, or a list of them: "
            "declared under `events` (or a derived type such as `deadline.breached`).\n\n"
            'Quote the key (`"on":`) so that YAML 1.1 readers do not turn it into `true`.'
        },
    )
    title: str | None = Field(default=None, description="A readable name for the rule")
    when: ExprText | None = Field(
        default=None,
        description="Condition on the event: the rule applies only when it is true",
        examples=["area == 'urban'", "v * 100 > nominal_v * (100 + params.over_pct)"],
        json_schema_extra={
            "markdownDescription": "An expression over the event's fields and `params.NAME` "
            "(see docs/expressions.md); the rule applies only when it is true. It may span "
            "several lines in a block scalar (`when: |`).\n\nExample: `area == 'urban' and "
            "minutes_late > params.grace_minutes`"
        },
    )
    editions: tuple[str, ...] | None = Field(
        default=None, description="The editions the rule belongs to (default: all)"
    )
    effective: EffectiveSpec | None = Field(
        default=None, description="Dates between which the rule applies"
    )
    severity: Literal["hard", "soft"] = Field(
        default="hard", description="`hard`: an obligation; `soft`: a commitment or target"
    )
    cite: CiteSpec = Field(
        description="Where the rule comes from: document, article, line",
        examples=[{"doc": "sla", "article": "3.1", "line": 42}],
        json_schema_extra={
            "markdownDescription": "Where the rule comes from: `doc` (an id under `sources`), "
            "`article` and `line`. Cite the source by name, never paste its text.\n\n"
            'Example: `cite: {doc: sla, article: "3.1", line: 42}`'
        },
    )
    catalog: tuple[str, ...] = Field(
        default=(), description="Ids of the catalog entries the rule implements"
    )
    # The effect kinds: one field per kind is its registration (see svcrules.effects).
    deadline: DeadlineSpec | None = Field(
        default=None,
        description="Effect: start, stop, pause, resume, cancel, excuse or extend an SLA clock",
        json_schema_extra={
            "markdownDescription": "Effect: an SLA clock. `action: start` (the default) needs "
            "`within` and `unit`; `stop`, `pause`, `resume`, `cancel` and `excuse` name only "
            "the `clock`.\n\nExample: `deadline: {clock: arrival, within: 45, unit: minutes}`"
        },
    )
    deduct: DeductSpec | None = Field(
        default=None, description="Effect: take points off a scorecard"
    )
    escalate: EscalateSpec | None = Field(
        default=None, description="Effect: escalate the event to someone"
    )
    check: CheckSpec | None = Field(
        default=None, description="Effect: a violation when an assertion fails"
    )
    count: CountSpec | None = Field(default=None, description="Effect: count the event")
    schedule: ScheduleSpec | None = Field(
        default=None, description="Effect: the event meets a recurring obligation"
    )

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

    pack: PackName = Field(
        description="The pack's name (lowercase, digits and `-`)", examples=["fault-desk"]
    )
    version: str = Field(description="The pack's version, as a string", examples=["1.0"])
    title: str = Field(description="A readable name for the pack")
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone of local times and dates in the pack",
        examples=["Asia/Shanghai", "Europe/Berlin"],
    )
    description: str | None = Field(default=None, description="Free text about the pack")
    extends: str | None = Field(
        default=None,
        description="Overlay: the base pack (a built-in name or a path beside this file)",
        examples=["power-grid"],
    )
    sources: dict[str, SourceSpec] = Field(
        default_factory=dict, description="The documents rules cite, by id"
    )
    editions: dict[str, EditionSpec] = Field(
        default_factory=dict, description="Versions of the policy, by name; one is the default"
    )
    params: dict[Name, Any] = Field(
        default_factory=dict,
        description="Named constants expressions read as `params.NAME`; each one's type is "
        "declared in `param_types` or inferred from its value here",
        examples=[{"arrival_minutes": {"urban": 45, "rural": 90}, "reply_days": 5}],
        json_schema_extra={
            "markdownDescription": "Named constants (snake_case) that expressions read as "
            "`params.NAME` or `params.NAME[field]`. Each one's type is declared in "
            "`param_types` or inferred from its value here; overlays and "
            "`Engine(params=...)` are checked against it.\n\nExample: "
            "`params: {arrival_minutes: {urban: 45, rural: 90}}`"
        },
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
    calendars: dict[Name, CalendarSpec] = Field(
        default_factory=dict, description="Working-day calendars, by name"
    )
    scorecards: dict[Name, ScorecardSpec] = Field(
        default_factory=dict, description="Scorecards `deduct` rules take points from, by name"
    )
    counters: dict[Name, CounterSpec] = Field(
        default_factory=dict, description="Counters `count` rules add to, by name"
    )
    events: dict[EventType, EventTypeSpec] = Field(
        default_factory=dict,
        description="The event types of the pack (dotted lowercase names) and their fields",
    )
    rules: tuple[RuleSpec, ...] = Field(default=(), description="The rules, each with one effect")
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

    __slots__ = ("edition", "exprs", "locations", "param_layers", "source", "spec")

    def __init__(
        self,
        spec: PackSpec,
        *,
        source: str | None,
        edition: str | None,
        locations: dict[str, tuple[str | None, int | None, int | None]] | None = None,
        exprs: Mapping[tuple[str, tuple[str | int, ...]], Expr] | None = None,
        param_layers: Mapping[str, tuple[ParamLayer, ...]] | None = None,
    ) -> None:
        self.spec = spec
        self.param_layers: Mapping[str, tuple[ParamLayer, ...]] = param_layers or {}
        """Per param, the packs that set it, base first then each overlay (``extends``) in
        turn; ``spec.params`` holds their merge."""
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
            param_layers=self.param_layers,
        )

    def location(self, rule_id: str) -> str:
        file, line, col = self.locations.get(rule_id, (self.source, None, None))
        where = file or "<mapping>"
        return where if line is None else f"{where}:{line}:{col}"

    def __repr__(self) -> str:
        return f"<Pack {self.name} {self.version} edition={self.edition!r} from {self.source!r}>"


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
