"""Backends (durable): a compiled pack's rules translated (or refused with a located
``backend.untranslatable`` diagnostic), and packs with rules left out on purpose."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from svcrules.backends.durable.conditions import (
    FALSE,
    MAX_DURABLE_EXPRESSIONS,
    TRUE,
    Json,
    _atoms,
    _Cond,
    _conj,
    _negate,
    _to_json,
)
from svcrules.backends.durable.translator import Encoder, _Refused, _rule_field_info, _Translator
from svcrules.compile import CompiledPack
from svcrules.diagnostics import Diagnostic
from svcrules.effects import CheckSpec
from svcrules.expr import Expr, parse_expr
from svcrules.pack.schema import Pack, RuleSpec, rule_fields


@dataclass(frozen=True, slots=True)
class RuleTranslation:
    """One active rule on durable_rules: when it applies, in durable_rules' JSON form."""

    rule: str
    on: tuple[str, ...]
    condition: Json | bool
    """durable_rules' condition over the message (``True``: always, ``False``: never)."""


@dataclass(frozen=True, slots=True)
class PackTranslation:
    """A compiled pack on durable_rules: the rules that translate and the refusals."""

    pack: str
    rules: tuple[RuleTranslation, ...]
    refused: tuple[Diagnostic, ...]
    keys: Mapping[str, Encoder]
    """Message key → how it is computed from the validated event."""

    @property
    def refused_rules(self) -> tuple[str, ...]:
        return tuple(d.rule for d in self.refused if d.rule is not None)


def translate(pack: Pack, compiled: CompiledPack) -> PackTranslation:
    """Translate every active rule of ``compiled`` (made from ``pack``); never raises for a rule
    it cannot translate: it lists a ``backend.untranslatable`` diagnostic for it instead."""
    spec = pack.spec
    bound = compiled.namespace.get("P", spec.params)  # the final params the compiler bound
    params: Mapping[str, Any] = bound if isinstance(bound, Mapping) else spec.params
    index = {r.id: i for i, r in enumerate(spec.rules)}
    by_id = {r.id: r for r in spec.rules}
    keys: dict[str, Encoder] = {}
    rules: list[RuleTranslation] = []
    refused: list[Diagnostic] = []
    for rule_id, code in compiled.code.items():
        rule = by_id[rule_id]
        types = rule_fields(spec, rule)
        fields = _rule_field_info(rule, compiled, types)
        mine: dict[str, Encoder] = {}
        t = _Translator(fields, params, mine)
        site: tuple[str | int, ...] = ("when",)
        try:
            cond: _Cond = TRUE
            if rule.effective is not None:
                at = fields["at"]
                if rule.effective.from_ is not None:
                    lo = dt.datetime.combine(
                        rule.effective.from_, dt.time(), tzinfo=compiled.timezone
                    )
                    cond = _conj(cond, t.order(at, "$gte", lo, ast.Constant(None)))
                if rule.effective.until is not None:
                    hi = dt.datetime.combine(
                        rule.effective.until, dt.time(), tzinfo=compiled.timezone
                    )
                    cond = _conj(cond, t.order(at, "$lt", hi, ast.Constant(None)))
            if rule.when is not None:
                cond = _conj(
                    cond, t.condition(_expr(pack, rule, ("when",), rule.when, types, params))
                )
            if isinstance(rule.effect, CheckSpec):
                site = ("check", "assert")
                x = _expr(pack, rule, site, rule.effect.assert_, types, params)
                cond = _conj(cond, _negate(t.condition(x)))
            elif code.effect_guards:
                site = (rule.effect.key,)
                raise _Refused(f"its `{rule.effect.key}` effect adds conditions of its own")
            if (n := _atoms(cond)) > MAX_DURABLE_EXPRESSIONS:
                raise _Refused(
                    f"its condition needs {n} comparisons; durable_rules takes at most "
                    f"{MAX_DURABLE_EXPRESSIONS} in one rule (MAX_SEQUENCE_EXPRESSIONS)"
                )
        except _Refused as r:
            refused.append(_refusal(pack, rule, index[rule.id], site, r))
            continue
        keys.update(mine)
        condition: Json | bool = (
            True if cond == TRUE else False if cond == FALSE else _to_json(cond)
        )
        rules.append(RuleTranslation(rule.id, rule.event_types, condition))
    return PackTranslation(spec.pack, tuple(rules), tuple(refused), keys)


def _expr(
    pack: Pack,
    rule: RuleSpec,
    site: tuple[str | int, ...],
    text: str,
    fields: Mapping[str, str],
    params: Mapping[str, Any],
) -> Expr:
    x = pack.exprs.get((rule.id, site))
    return x if x is not None else parse_expr(text, fields=fields, params=params)


def _refusal(
    pack: Pack, rule: RuleSpec, i: int, site: tuple[str | int, ...], r: _Refused
) -> Diagnostic:
    file, line, column = pack.locations.get(rule.id, (pack.source, None, None))
    path = f"$.rules[{i}]." + ".".join(str(s) for s in site)
    return Diagnostic(
        "backend.untranslatable",
        f"rule {rule.id!r} cannot run on durable_rules: {r.reason}",
        path,
        file=file,
        line=line,
        column=column,
        hint=(
            f"leave it out with DurableEngine(..., omit=[{rule.id!r}]) or evaluate this pack "
            "with svcrules.Engine"
        ),
        rule=rule.id,
    )


def _without(pack: Pack, omit: Collection[str]) -> Pack:
    spec = pack.spec.model_copy(
        update={"rules": tuple(r for r in pack.spec.rules if r.id not in omit)}
    )
    return Pack(
        spec,
        source=pack.source,
        edition=pack.edition,
        locations={k: v for k, v in pack.locations.items() if k not in omit},
        exprs={k: v for k, v in pack.exprs.items() if k[0] not in omit},
    )
