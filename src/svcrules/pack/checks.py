"""Checks: semantic checks of a validated ``PackSpec``, each a generator of ``Diagnostic`` values.

The loader runs them all and raises once; whatever they accept, the compiler can compile.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from svcrules.calendars import calendar as make_calendar
from svcrules.diagnostics import Diagnostic, did_you_mean, join_path
from svcrules.effects.base import CheckContext, Names
from svcrules.errors import PackError
from svcrules.expr import Expr, parse_expr
from svcrules.pack.kpis import check_kpis
from svcrules.pack.ledger_checks import _check_counter_shape, check_ledger, check_scorecards
from svcrules.pack.params import declaration_problems, effective_types, value_problems
from svcrules.pack.schema import (
    EFFECTS,
    CalendarSpec,
    FieldSpec,
    PackSpec,
    RuleSpec,
    rule_fields,
)
from svcrules.runtime.events import default_problem

DAY_OR_TIME_UNITS = ("minutes", "hours", "days", "workdays", "months")


def names_of(spec: PackSpec, broken: Mapping[str, frozenset[str]] | None = None) -> Names:
    """What references in ``spec`` may point at (plus the names of parts set aside as broken)."""
    extra = broken or {}
    declared: dict[str, set[str]] = {}
    for rule in spec.rules:
        for effect in rule.effects:
            for section, name in effect.declares():
                declared.setdefault(section, set()).add(name)
    return Names(
        events=frozenset(spec.events) | extra.get("events", frozenset()),
        editions=frozenset(spec.editions) | extra.get("editions", frozenset()),
        sources=frozenset(spec.sources) | extra.get("sources", frozenset()),
        calendars=frozenset(spec.calendars) | extra.get("calendars", frozenset()),
        scorecards=frozenset(spec.scorecards) | extra.get("scorecards", frozenset()),
        clocks=frozenset(declared.get("clocks", ())) | extra.get("clocks", frozenset()),
        counters=frozenset(spec.counters) | extra.get("counters", frozenset()),
        params=frozenset(spec.params) | extra.get("params", frozenset()),
    )


class _SetAside(Mapping[str, Any]):
    """Stands in for a param set aside by a schema problem: every path under it exists, so an
    expression reading it is not reported a second time."""

    def __getitem__(self, key: str) -> Any:
        return self

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def declared_types(spec: PackSpec, rule: RuleSpec) -> bool:
    """Whether every event type of the rule is declared and kept; if not, its fields are unknown
    and are not checked (the event type is reported once, or was already set aside)."""
    return all(t in spec.events for t in rule.event_types)


ExprTable = dict[tuple[str, tuple[str | int, ...]], Expr]
"""Checked expressions by (rule id, site): ``("when",)`` or ``(effect key, field ...)``."""


def check_pack(
    spec: PackSpec,
    broken: Mapping[str, frozenset[str]] | None = None,
    exprs: ExprTable | None = None,
) -> Iterator[Diagnostic]:
    """Every semantic problem of ``spec``. ``broken`` names, per section (and ``clocks``), what
    the document declares but failed schema validation: references to those are not reported
    again. Each expression is parsed once; the checked trees are stored in ``exprs`` for the
    compiler."""
    names = names_of(spec, broken)
    yield from check_identity(spec)
    yield from check_editions(spec, names)
    yield from check_vocabulary(spec, names)
    yield from check_params(spec, names)
    yield from check_calendars(spec)
    yield from check_scorecards(spec)
    yield from check_rules(spec, names, exprs if exprs is not None else {})
    yield from check_ledger(spec)
    yield from check_kpis(spec)


def check_identity(spec: PackSpec) -> Iterator[Diagnostic]:
    if spec.disable and spec.extends is None:
        yield Diagnostic(
            "overlay.disable-without-extends",
            "`disable` drops rules of a base pack, but this pack `extends` none",
            "$.disable",
            hint="add `extends: BASE` or delete the rules instead",
        )
    try:
        zoneinfo.ZoneInfo(spec.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield Diagnostic(
            "pack.timezone",
            f"unknown time zone {spec.timezone!r}",
            "$.timezone",
            hint="use an IANA name such as 'Asia/Shanghai'",
        )


def check_editions(spec: PackSpec, names: Names) -> Iterator[Diagnostic]:
    if spec.editions:
        defaults = [name for name, ed in spec.editions.items() if ed.default]
        if len(defaults) != 1:
            yield Diagnostic(
                "edition.default",
                f"exactly one edition must be the default, found {len(defaults)}",
                "$.editions",
                hint="set `default: true` on one edition",
            )
    for i, rule in enumerate(spec.rules):
        for j, ed in enumerate(rule.editions or ()):
            if ed not in names.editions:
                yield Diagnostic(
                    "edition.unknown",
                    f"edition {ed!r} is not declared in `editions`",
                    join_path("$.rules", i, "editions", j),
                    hint=did_you_mean(ed, names.editions) or _known(spec.editions),
                    rule=rule.id,
                )
    for ed, values in spec.edition_params.items():
        if ed not in names.editions:
            yield Diagnostic(
                "edition.unknown",
                f"`edition_params` names edition {ed!r}, which is not declared in `editions`",
                join_path("$.edition_params", ed),
                hint=did_you_mean(ed, names.editions) or _known(spec.editions),
            )
        for name in values:
            if name not in names.params:
                yield Diagnostic(
                    "edition.undeclared-param",
                    f"`edition_params.{ed}` sets {name!r}, which `params` does not declare",
                    join_path("$.edition_params", ed, name),
                    hint="declare the param (with its default value) in `params`",
                )


def enum_keys(spec: PackSpec) -> dict[str, tuple[str, ...]]:
    """``EVENT_TYPE.FIELD`` -> the values of every enum field (for ``keys:`` of a map param)."""
    return {
        f"{etype}.{name}": tuple(f.values or ())
        for etype, ev in spec.events.items()
        for name, f in ev.fields.items()
        if f.type == "enum"
    }


def check_params(spec: PackSpec, names: Names) -> Iterator[Diagnostic]:
    """Param declarations are coherent; defaults and edition values have the param's type."""
    keys = enum_keys(spec)
    reported: set[str] = set()  # an overlay's value is also merged into every edition's values
    for name, t in spec.param_types.items():
        path = join_path("$.param_types", name)
        if name not in spec.params:
            if name in names.params:
                continue  # the param was set aside: its schema problem is reported
            yield Diagnostic(
                "params.unknown",
                f"`param_types` declares {name!r}, which `params` does not declare",
                path,
                hint="declare the param (with its default value) in `params`",
            )
            continue
        yield from declaration_problems(name, t, path, keys)
        for d in value_problems(t, spec.params[name], join_path("$.params", name), keys):
            reported.add(d.path.removeprefix("$.params"))
            yield d
    types = effective_types(spec.params, spec.param_types, spec.edition_params)
    for ed, values in spec.edition_params.items():
        prefix = join_path("$.edition_params", ed)
        for name, value in values.items():
            if name in types:
                for d in value_problems(types[name], value, join_path(prefix, name), keys):
                    if d.path.removeprefix(prefix) not in reported:
                        yield d


def check_vocabulary(spec: PackSpec, names: Names) -> Iterator[Diagnostic]:
    for etype, ev in spec.events.items():
        for name, f in ev.fields.items():
            yield from _check_field(join_path("$.events", etype, "fields", name), name, f)
    for name, counter in spec.counters.items():
        for j, etype in enumerate(counter.reset_on):
            if etype not in names.events:
                yield Diagnostic(
                    "ref.event",
                    f"event type {etype!r} is not declared in `events`",
                    join_path("$.counters", name, "reset_on", j),
                    hint=did_you_mean(etype, names.events),
                )
        if counter.limit < 1:
            yield Diagnostic(
                "counter.limit", "a counter's limit is at least 1", join_path("$.counters", name)
            )
        yield from _check_counter_shape(name, counter)


def _check_field(path: str, name: str, f: FieldSpec) -> Iterator[Diagnostic]:
    """A declared event field: not a reserved name, enums with values, a default of its type."""
    if name in ("id", "type", "at"):
        yield Diagnostic(
            "field.reserved", f"`{name}` is part of every event and cannot be redeclared", path
        )
    if f.type == "enum" and not f.values:
        yield Diagnostic(
            "field.enum-values",
            "an enum field needs `values`",
            path,
            hint="list the allowed values: values: [urban, rural]",
        )
    if f.type != "enum" and f.values is not None:
        yield Diagnostic(
            "field.enum-values", f"`values` only applies to enum fields, not {f.type}", path
        )
    if f.default is not None and f.type == "enum" and f.default not in (f.values or ()):
        yield Diagnostic("field.default", f"default {f.default!r} is not a value", path)
    elif f.default is not None and f.type != "enum":
        problem = default_problem(f.type, f.default)
        if problem is not None:
            yield Diagnostic(
                "field.default",
                f"default {f.default!r} is not a valid {f.type}: {problem}",
                join_path(path, "default"),
            )


def check_calendars(spec: PackSpec) -> Iterator[Diagnostic]:
    for name, cal in spec.calendars.items():
        try:
            build_calendar(name, cal, spec.timezone)
        except PackError as exc:
            for d in exc.diagnostics:
                yield Diagnostic(d.code, d.message, join_path("$.calendars", name), hint=d.hint)


def build_calendar(name: str, cal: CalendarSpec, timezone: str) -> Any:
    return make_calendar(
        cal.base,
        timezone=cal.timezone or timezone,
        extra_holidays=cal.extra_holidays,
        extra_workdays=cal.extra_workdays,
        hours=cal.hours,
        cutoff=cal.cutoff,
        confirmed_through=cal.confirmed_through,
        name=name,
    )


def check_rules(spec: PackSpec, names: Names, exprs: ExprTable) -> Iterator[Diagnostic]:
    ids = Counter(r.id for r in spec.rules)
    seen: set[str] = set()
    for i, rule in enumerate(spec.rules):
        path = join_path("$.rules", i)
        if ids[rule.id] > 1 and rule.id in seen:
            yield Diagnostic(
                "rule.duplicate-id",
                f"rule id {rule.id!r} is used more than once",
                join_path(path, "id"),
                rule=rule.id,
            )
        seen.add(rule.id)
        effects = [name for name in EFFECTS if getattr(rule, name) is not None]
        if len(effects) != 1:
            yield Diagnostic(
                "rule.effect",
                f"a rule has exactly one effect, found {len(effects)}"
                + (f" ({', '.join(effects)})" if effects else ""),
                path,
                hint="one of: " + ", ".join(EFFECTS),
                rule=rule.id,
            )
        on = rule.event_types
        for j, etype in enumerate(on):
            if etype not in names.events:
                yield Diagnostic(
                    "rule.unknown-event",
                    f"event type {etype!r} is not declared in `events`",
                    join_path(path, "on") if isinstance(rule.on, str) else join_path(path, "on", j),
                    hint=did_you_mean(etype, names.events) or _known(names.events),
                    rule=rule.id,
                )
        if names.sources and rule.cite.doc not in names.sources:
            yield Diagnostic(
                "ref.source",
                f"cite.doc {rule.cite.doc!r} is not listed in `sources`",
                join_path(path, "cite", "doc"),
                hint=did_you_mean(rule.cite.doc, names.sources) or _known(spec.sources),
                rule=rule.id,
            )
        eff = rule.effective
        if eff and eff.from_ and eff.until and eff.from_ >= eff.until:
            yield Diagnostic(
                "rule.effective-order",
                "`effective.from` must be before `until`",
                join_path(path, "effective"),
                rule=rule.id,
            )
        fields = rule_fields(spec, rule)
        known = declared_types(spec, rule)
        yield from _check_exprs(spec, rule, path, fields if known else None, exprs, names)
        for effect in rule.effects:
            ctx = CheckContext(
                rule.id,
                rule.event_types,
                join_path(path, effect.key),
                fields,
                names,
                lambda section, name: (
                    did_you_mean(name, getattr(names, section)) or _known(getattr(spec, section))
                ),
                fields_known=known,
            )
            yield from effect.check(ctx)


def _expr_sites(rule: RuleSpec) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if rule.when is not None:
        yield ("when",), rule.when
    for effect in rule.effects:
        for site, text in effect.expr_sites():
            yield (effect.key, *site), text


def _check_exprs(
    spec: PackSpec,
    rule: RuleSpec,
    path: str,
    fields: dict[str, str] | None,
    exprs: ExprTable,
    names: Names,
) -> Iterator[Diagnostic]:
    params: Mapping[str, Any] = spec.params
    if names.params - set(spec.params):
        params = {**dict.fromkeys(names.params, _SetAside()), **spec.params}
    for where, text in _expr_sites(rule):
        try:
            x = parse_expr(text, path=join_path(path, *where), fields=fields, params=params)
        except PackError as exc:
            for d in exc.diagnostics:
                yield Diagnostic(
                    d.code, d.message, d.path, column=d.column, hint=d.hint, rule=rule.id
                )
        else:
            exprs[rule.id, where] = x


def _known(names: Any) -> str | None:
    names = sorted(names)
    if not names:
        return None
    shown = ", ".join(map(str, names[:12]))
    return f"known: {shown}" + (" ..." if len(names) > 12 else "")
