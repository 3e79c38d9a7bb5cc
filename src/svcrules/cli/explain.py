"""Command line: ``svcrules explain PACK [--rule ID] [--edition E] [--param NAME=JSON]...
[--source]``: a pack's rules as compiled, with the params each one reads at their effective
values (pack defaults, then an overlay's, the edition's and the ``--param`` overrides)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from svcrules.cli.render import _usage, printable
from svcrules.compile import CompiledPack
from svcrules.engine import Engine
from svcrules.pack import Pack
from svcrules.pack.schema import RuleSpec

_PARAM_REF = re.compile(r"\bparams\.([A-Za-z_][A-Za-z0-9_]*)")
"""A param named in a rule's text outside its checked expressions (e.g. a ledger ``grace``)."""


def cmd_explain(args: argparse.Namespace, params: dict[str, Any]) -> int:
    engine = Engine(args.pack, edition=args.edition, params=params)
    cp = engine.compiled[0]
    pack = engine.packs[0]
    out = printable  # every line echoes pack text: rule ids, expressions, cites, file names
    print(out(f"{cp.name} {cp.version} edition={cp.edition} timezone={cp.timezone.key}"))
    print(out(f"source: {pack.source}   generated: {cp.filename}"))
    specs = {r.id: r for r in pack.spec.rules}
    shown = 0
    for rule in cp.rules:
        if args.rule and rule.id != args.rule:
            continue
        shown += 1
        print()
        print(out(f"{rule.id}  [{rule.effect}, {rule.severity}]  {rule.location}"))
        print(out(f"  on:    {', '.join(rule.on)}"))
        if rule.when:
            print(out(f"  when:  {rule.when}"))
        print(out(f"  does:  {rule.summary}"))
        for line in _param_lines(pack, cp, specs[rule.id], params):
            print(out(line))
        print(out(f"  cite:  {rule.cite}"))
        if rule.catalog:
            print(out(f"  implements: {', '.join(rule.catalog)}"))
    if args.rule and not shown:
        active = ", ".join(r.id for r in cp.rules)
        return _usage(out(f"no active rule {args.rule!r} in this edition (active: {active})"))
    if args.source:
        print(out(f"\n# --- generated Python ({cp.filename}) ---"))
        for n, line in enumerate(cp.source.splitlines(), 1):
            rule_id = cp.line_rules.get(n, "")
            print(out(f"{n:4d}  {line:<90} {('# ' + rule_id) if rule_id else ''}".rstrip()))
    return 0


def rule_params(pack: Pack, rule: RuleSpec) -> list[str]:
    """The params a rule reads, in name order: those of its checked expressions, and any
    ``params.NAME`` in its other fields."""
    names = {n for (rule_id, _), x in pack.exprs.items() if rule_id == rule.id for n in x.params}
    text = json.dumps(rule.model_dump(mode="json", exclude={"cite", "title", "catalog"}))
    names.update(m.group(1) for m in _PARAM_REF.finditer(text))
    return sorted(n for n in names if n in pack.spec.params)


def _param_lines(
    pack: Pack, cp: CompiledPack, rule: RuleSpec, overrides: Mapping[str, Any]
) -> Iterator[str]:
    """``params:`` lines: each param the rule reads, its effective value, and whether the
    edition or ``--param`` changed it from the pack's value (after any overlay)."""
    effective: Mapping[str, Any] = cp.namespace.get("P", {})  # type: ignore[assignment]
    label = "  params:"
    for name in rule_params(pack, rule):
        value = effective.get(name)
        origin = (
            "  (--param)"
            if name in overrides
            else f"  (edition {pack.edition})"
            if value != pack.spec.params.get(name)  # only the edition's values change it
            else ""
        )
        yield f"{label} {name} = {param_text(value)}{origin}{_layer_note(pack, cp.edition, name)}"
        label = " " * len(label)


def _layer_note(pack: Pack, edition: str | None, name: str) -> str:
    """What an overlay did to a param: the value it wrote and the one it was merged over."""
    layers = pack.param_layers.get(name, ())
    if len(layers) < 2:
        return ""
    below, top = layers[-2], layers[-1]
    return (
        f"  (overlay {top.pack} sets {param_text(top.value_in(edition))} over "
        f"{below.pack}'s {param_text(below.value_in(edition))})"
    )


def param_text(value: object) -> str:
    """A param's value as short JSON-like text, exact decimals as written (``2.5``, not
    ``"2.5"``)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {param_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(param_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)
