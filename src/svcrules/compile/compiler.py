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
import linecache
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from svcrules.calendars import Calendar
from svcrules.calendars import calendar as builtin_calendar
from svcrules.expr import Expr, parse_expr
from svcrules.pack.checks import build_calendar, rule_fields
from svcrules.pack.schema import Pack, PackSpec, RuleSpec
from svcrules.runtime import (
    EVAL_ERRORS,
    CheckEffect,
    Cite,
    DeadlineEffect,
    DeductEffect,
    EscalateEffect,
    RuleMeta,
    SignalEffect,
    rule_failed,
)
from svcrules.runtime.events import EventShape, FieldShape

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
    for k, rule in enumerate(rules):
        fields = rule_fields(spec, rule)
        lines, summary, exprs = _rule_code(
            k, rule, spec, fields, final_params, tz, calendars, g, pack
        )
        compiled_rules.append(
            CompiledRule(
                rule.id,
                rule.event_types,
                _effect_name(rule),
                summary,
                rule.when,
                rule.severity,
                _cite(spec, rule),
                rule.catalog,
                pack.location(rule.id),
            )
        )
        used = set().union(*(x.fields for x in exprs)) if exprs else set()
        if rule.deadline is not None and rule.deadline.before is not None:
            used.add(rule.deadline.before)
        for etype in rule.event_types:
            for name in sorted(used):
                needed.setdefault(etype, {}).setdefault(name, rule.id)
            bodies.setdefault(etype, []).append((rule.id, lines))
    filename = f"<svcrules {spec.pack} #{next(_serial)}>"
    src: list[str] = []
    line_rules: dict[int, str] = {}
    func_names: dict[str, str] = {}
    for etype, items in sorted(bodies.items()):
        fname = f"on_{etype.replace('.', '_')}"
        if fname in func_names.values():  # `a.b_c` and `a_b.c` would share a name
            fname += f"_{len(func_names)}"
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
    code = compile(source, filename, "exec")
    exec(code, g)  # the source was generated from validated ASTs; no pack text is pasted in
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    shapes = {etype: _shape(spec, etype, needed.get(etype, {})) for etype in spec.events}
    return CompiledPack(
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
    )


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


def _effect_name(rule: RuleSpec) -> str:
    for name in ("deadline", "deduct", "escalate", "check"):
        if getattr(rule, name) is not None:
            return name
    raise AssertionError("checked: a rule has exactly one effect")


def _cite(spec: PackSpec, rule: RuleSpec) -> Cite:
    c = rule.cite
    source = spec.sources.get(c.doc)
    return Cite(c.doc, c.article, c.line, c.note, source.title if source else None)


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
) -> tuple[list[str], str, list[Expr]]:
    """Lines of one rule's code inside its event type's function, its summary, its expressions."""
    exprs: list[Expr] = []

    def inline(text: str | int | None, site: str) -> str:
        if text is None:
            return "None"
        if isinstance(text, int):
            return repr(text)
        x = parse_expr(text, fields=fields, params=params)
        exprs.append(x)
        if not x.fields:
            # Reads only params, which are fixed for this compiled pack: evaluate it once here.
            # If that fails (a bad override), leave it to event time, which reports the rule.
            try:
                g[f"_r{k}{site}_value"] = x.fold(params)  # bounded work, see Expr.fold
                return f"_r{k}{site}_value"
            except EVAL_ERRORS:
                pass
        code, names = x.python(f"_r{k}{site}_")
        g.update(names)
        return f"({code})"

    meta = RuleMeta(rule.id, _cite(spec, rule), spec.pack, spec.version, rule.severity, rule.title)
    guards: list[str] = []
    if rule.effective is not None:
        if rule.effective.from_ is not None:
            g[f"_r{k}_lo"] = dt.datetime.combine(rule.effective.from_, dt.time(), tzinfo=tz)
            guards.append(f"_r{k}_lo <= e['at']")
        if rule.effective.until is not None:
            g[f"_r{k}_hi"] = dt.datetime.combine(rule.effective.until, dt.time(), tzinfo=tz)
            guards.append(f"e['at'] < _r{k}_hi")
    if rule.when is not None:
        guards.append(inline(rule.when, "w"))
    effect = f"_r{k}"
    if rule.deadline is not None:
        dl = rule.deadline
        if dl.action == "start":
            assert dl.unit is not None
            cal = _calendar_for(dl.calendar, dl.unit, calendars, spec)
            notes: tuple[str, ...] = ()
            if dl.starts == "all":
                notes = (
                    f"clock {dl.clock!r} starts at the last of "
                    f"{', '.join(rule.event_types)}; evaluated on this event alone it counts "
                    f"from this event",
                )
            g[effect] = DeadlineEffect(meta, dl.clock, dl.unit, tz, cal, dl.before, notes)
            start = inline(dl.start, "s") if dl.start else "e['at']"
            ref = f"e[{dl.before!r}]" if dl.before else "None"
            call = f"{effect}(e, {inline(dl.within, 'a')}, {start}, {ref})"
            what = "before " + dl.before if dl.before else "after the event"
            summary = f"clock {dl.clock}: {dl.within} {dl.unit} {what}"
        else:
            g[effect] = SignalEffect(meta, dl.clock, dl.action)
            call = f"{effect}(e)"
            summary = f"clock {dl.clock}: {dl.action}"
    elif rule.deduct is not None:
        d = rule.deduct
        card = spec.scorecards[d.scorecard]
        g[effect] = DeductEffect(meta, d.scorecard, card.period, tz)
        call = f"{effect}(e, {inline(d.points, 'p')}, {inline(d.subject, 'j')})"
        summary = f"deduct {d.points} from {d.subject} on scorecard {d.scorecard}"
    elif rule.escalate is not None:
        es = rule.escalate
        g[effect] = EscalateEffect(meta, es.to, es.level, es.reason or rule.title or rule.id)
        call = f"{effect}(e)"
        summary = f"escalate to {es.to} at level {es.level}"
    else:
        ch = rule.check
        assert ch is not None
        g[effect] = CheckEffect(meta, ch.message)
        guards.append(f"not {inline(ch.assert_, 'c')}")
        call = f"{effect}(e, {inline(ch.observed, 'o')}, {inline(ch.limit, 'l')})"
        summary = f"check {ch.assert_}"
    cond = " and ".join(guards) if guards else "True"
    reads = sorted(set().union(*(x.fields for x in exprs))) if exprs else []
    g[f"_r{k}_reads"] = tuple(reads)
    lines = [
        f"# rule {rule.id}",  # ids match ^[a-z0-9][a-z0-9_.-]*$: safe in a comment
        "try:",
        f"    if {cond}:",
        f"        out.append({call})",
        "except _EVAL_ERRORS as exc:",
        f"    raise _rule_failed(e, {rule.id!r}, exc, _r{k}_reads) from None",
    ]
    return lines, summary, exprs


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
