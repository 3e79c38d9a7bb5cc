"""Compiler: a checked ``Pack`` (one edition, final params) → ``CompiledPack``, generated Python.

Each event type gets one generated function that runs that type's rules in pack order, with every
expression inlined as Python built from its validated AST and every constant and effect passed in
through the function's globals (pack text is never pasted into source). The source is registered
in ``linecache`` as ``<svcrules NAME>`` so tracebacks and ``inspect`` show it, and each generated
line maps back to its rule's location in the pack file. A valid pack always compiles.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from svcrules.calendars import Calendar
from svcrules.calendars import calendar as builtin_calendar
from svcrules.compile.plan import ledger_plan
from svcrules.effects.base import EmitContext
from svcrules.expr import Expr, parse_expr
from svcrules.expr.functions import FN_PREFIX, local_date
from svcrules.pack.checks import build_calendar
from svcrules.pack.citespec import CiteSpec
from svcrules.pack.schema import Pack, PackSpec, RuleSpec, rule_fields
from svcrules.runtime import EVAL_ERRORS, Cite, RuleMeta, rule_failed
from svcrules.runtime.events import EventShape, FieldShape
from svcrules.runtime.plans import LedgerPlan
from svcrules.runtime.source import compile_source, register_source

Handler = Callable[[dict[str, Any], list[Any]], None]
_serial = itertools.count()


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule as compiled: what ``svcrules explain`` shows."""

    id: str
    on: tuple[str, ...]
    effect: str
    summary: str
    when: str | None
    severity: str
    cite: Cite
    catalog: tuple[str, ...]
    location: str


@dataclass(frozen=True, slots=True)
class RuleCode:
    """One rule as generated Python over the event ``e``, in ``CompiledPack.namespace``: what
    another evaluator (the durable_rules backend) needs to decide the rule its own way and then
    produce exactly the outcome the compiled pack would."""

    condition: str
    """The whole condition (effective dates, ``when``, the effect's guards), as compiled."""
    call: str
    """The effect call whose value is the rule's outcome."""
    effect_guards: tuple[str, ...]
    """The conditions the effect adds (a check fires when its assertion fails)."""
    reads: tuple[str, ...]
    """Event fields the rule reads (named when it fails on a missing one)."""


@dataclass(frozen=True, slots=True, weakref_slot=True)
class CompiledPack:
    name: str
    version: str
    edition: str | None
    timezone: ZoneInfo
    shapes: Mapping[str, EventShape]
    handlers: Mapping[str, Handler]
    rules: tuple[CompiledRule, ...]
    source: str
    filename: str
    line_rules: Mapping[int, str] = field(default_factory=dict)
    """Generated line number → id of the rule it belongs to."""
    ledger: LedgerPlan | None = None
    """What the ledger needs beyond the handlers (clock rules, scorecards, counters ...)."""
    code: Mapping[str, RuleCode] = field(default_factory=dict)
    """Rule id → its generated parts, in pack order (active rules only)."""
    namespace: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)
    """The generated functions' globals: the bound effects and constants ``code`` refers to."""


def rule_active(rule: RuleSpec, edition: str | None) -> bool:
    return rule.editions is None or edition is None or edition in rule.editions


def compile_pack(
    pack: Pack,
    params: Mapping[str, Any] | None = None,
    calendars: Mapping[str, Calendar] | None = None,
) -> CompiledPack:
    """Compile ``pack`` for its edition with final ``params``; ``calendars`` replace the pack's
    calendars of the same name (a caller's announced holidays, a local calendar)."""
    spec = pack.spec
    final_params: dict[str, Any] = dict(params if params is not None else spec.params)
    tz = ZoneInfo(spec.timezone)
    overrides = calendars or {}
    calendars = {
        name: overrides.get(name) or build_calendar(name, cal, spec.timezone)
        for name, cal in spec.calendars.items()
    }
    rules = [r for r in spec.rules if rule_active(r, pack.edition)]
    g: dict[str, Any] = {
        "__builtins__": {},
        "_EVAL_ERRORS": EVAL_ERRORS,
        "_rule_failed": rule_failed,
        "P": final_params,
    }
    needed: dict[str, dict[str, str]] = {t: {} for t in spec.events}
    bodies: dict[str, list[tuple[str, list[str]]]] = {t: [] for t in spec.events}
    compiled_rules: list[CompiledRule] = []
    rule_code: dict[str, RuleCode] = {}
    for k, rule in enumerate(rules):
        fields = rule_fields(spec, rule)
        lines, summary, rule_code[rule.id] = _rule_code(
            k, rule, spec, fields, final_params, tz, calendars, g, pack
        )
        compiled_rules.append(
            CompiledRule(
                rule.id,
                rule.event_types,
                rule.effect.key,
                summary,
                rule.when,
                rule.severity,
                _cite(spec, rule.cite),
                rule.catalog,
                pack.location(rule.id),
            )
        )
        used = set(g[f"_r{k}_reads"])
        for etype in rule.event_types:
            for name in sorted(used):
                needed.setdefault(etype, {}).setdefault(name, rule.id)
            bodies.setdefault(etype, []).append((rule.id, lines))
    src: list[str] = []
    line_rules: dict[int, str] = {}
    func_names: dict[str, str] = {}
    for n, (etype, items) in enumerate(sorted(bodies.items())):
        # Unique by construction: `a.b_c` and `a_b.c` flatten alike, their indices do not
        # (a type starts with a letter, so `on_<n>_` is never ambiguous).
        fname = f"on_{n}_{etype.replace('.', '_')}"
        func_names[etype] = fname
        src.append(f"def {fname}(e, out):")
        if not items:
            src.append("    return")
        for rule_id, lines in items:
            for line in lines:
                src.append("    " + line)
                line_rules[len(src)] = rule_id
        src.append("")
    source = "\n".join(src) + "\n"
    if FN_PREFIX + "date" in g:  # day boundaries are the pack's: date() gives the local date
        g[FN_PREFIX + "date"] = local_date(tz)
    filename, code = compile_source(spec.pack, source)
    exec(code, g)  # the source was generated from validated ASTs; no pack text is pasted in
    shapes = {etype: _shape(spec, etype, needed.get(etype, {})) for etype in spec.events}
    compiled = CompiledPack(
        spec.pack,
        spec.version,
        pack.edition,
        tz,
        shapes,
        {etype: g[fname] for etype, fname in func_names.items()},
        tuple(compiled_rules),
        source,
        filename,
        line_rules,
        ledger=ledger_plan(
            spec,
            rules,
            final_params,
            tz,
            lambda name, unit: _calendar_for(name, unit, calendars, spec),
            lambda r: RuleMeta(
                r.id, _cite(spec, r.cite), spec.pack, spec.version, r.severity, r.title
            ),
            lambda c: _cite(spec, c),
        ),
        code=rule_code,
        namespace=g,
    )
    register_source(filename, source, compiled)
    return compiled


def _shape(spec: PackSpec, etype: str, needed: Mapping[str, str]) -> EventShape:
    ev = spec.events[etype]
    shapes = []
    declared = dict(ev.fields)
    for std in ("case", "subject"):
        if std not in declared:
            shapes.append(FieldShape(std, "string", None, False, None, needed.get(std)))
    for name, f in declared.items():
        default = f.default
        if default is not None and f.type == "number":
            from decimal import Decimal

            default = Decimal(str(default))
        shapes.append(
            FieldShape(
                name,
                f.type,
                frozenset(f.values) if f.values is not None else None,
                f.required,
                default,
                needed.get(name),
            )
        )
    return EventShape(etype, spec.pack, tuple(shapes))


def _cite(spec: PackSpec, c: CiteSpec) -> Cite:
    source = spec.sources.get(c.doc)
    return Cite(c.doc, c.article, c.line, c.note, source.title if source else None)


def _effective_guards(k: int, rule: RuleSpec, tz: ZoneInfo, g: dict[str, Any]) -> list[str]:
    """Conditions on the event's time for a rule with ``effective`` dates (local midnights)."""
    guards: list[str] = []
    if rule.effective is not None:
        if rule.effective.from_ is not None:
            g[f"_r{k}_lo"] = dt.datetime.combine(rule.effective.from_, dt.time(), tzinfo=tz)
            guards.append(f"_r{k}_lo <= e['at']")
        if rule.effective.until is not None:
            g[f"_r{k}_hi"] = dt.datetime.combine(rule.effective.until, dt.time(), tzinfo=tz)
            guards.append(f"e['at'] < _r{k}_hi")
    return guards


def _rule_code(
    k: int,
    rule: RuleSpec,
    spec: PackSpec,
    fields: Mapping[str, str],
    params: Mapping[str, Any],
    tz: ZoneInfo,
    calendars: Mapping[str, Calendar],
    g: dict[str, Any],
    pack: Pack,
) -> tuple[list[str], str, RuleCode]:
    """Lines of one rule's code inside its event type's function, its summary and its parts."""
    exprs: list[Expr] = []
    sites = itertools.count()

    def inline(text: str | int | Decimal | None, site: tuple[str | int, ...]) -> str:
        if text is None:
            return "None"
        if isinstance(text, int):
            return repr(text)
        if isinstance(text, Decimal):  # an exact literal (within: 1.5): passed in, not pasted
            name = f"_r{k}n{next(sites)}_"
            g[name] = text
            return name
        x = pack.exprs.get((rule.id, site))
        if x is None:  # a Pack built without the checks (never from load_pack)
            x = parse_expr(text, fields=fields, params=params)
        exprs.append(x)
        prefix = f"_r{k}x{next(sites)}_"
        if not x.fields:
            # Reads only params, which are fixed for this compiled pack: evaluate it once here.
            # If that fails (a bad override), leave it to event time, which reports the rule.
            try:
                g[prefix + "value"] = x.fold(params)  # bounded work, see Expr.fold
                return prefix + "value"
            except EVAL_ERRORS:
                pass
        code, names = x.python(prefix)
        g.update(names)
        return f"({code})"

    def bind(obj: Any) -> str:
        g[f"_r{k}"] = obj
        return f"_r{k}"

    effect = rule.effect
    meta = RuleMeta(
        rule.id, _cite(spec, rule.cite), spec.pack, spec.version, rule.severity, rule.title
    )
    ctx = EmitContext(
        meta=meta,
        event_types=rule.event_types,
        tz=tz,
        inline=lambda text, site: inline(text, (effect.key, *site)),
        bind=bind,
        calendar_for=lambda name, unit: _calendar_for(name, unit, calendars, spec),
        scorecard_period=lambda name: spec.scorecards[name].period_key,
        counter_key=lambda name: spec.counters[name].key,
    )
    guards = _effective_guards(k, rule, tz, g)
    if rule.when is not None:
        guards.append(inline(rule.when, ("when",)))
    emitted = effect.emit(ctx)
    guards.extend(emitted.guards)
    cond = " and ".join(guards) if guards else "True"
    reads = sorted(set().union(*(x.fields for x in exprs), emitted.reads))
    g[f"_r{k}_reads"] = tuple(reads)
    lines = [
        f"# rule {rule.id}",  # ids match ^[a-z0-9][a-z0-9_.-]*$: safe in a comment
        "try:",
        f"    if {cond}:",
        f"        out.append({emitted.call})",
        "except _EVAL_ERRORS as exc:",
        f"    raise _rule_failed(e, {rule.id!r}, exc, _r{k}_reads) from None",
    ]
    return lines, emitted.summary, RuleCode(cond, emitted.call, emitted.guards, tuple(reads))


def _calendar_for(
    name: str | None, unit: str, calendars: Mapping[str, Calendar], spec: PackSpec
) -> Calendar | None:
    """A clock's calendar: named, else the pack's ``default`` or only one, else built-in CN."""
    if name is not None:
        if name in calendars:
            return calendars[name]
        return builtin_calendar(name, timezone=spec.timezone)
    if unit not in ("workdays", "business_hours"):
        return None
    if "default" in calendars:
        return calendars["default"]
    if len(calendars) == 1:
        return next(iter(calendars.values()))
    return builtin_calendar("CN", timezone=spec.timezone)
