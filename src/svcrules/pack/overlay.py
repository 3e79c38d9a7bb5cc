"""Packs: overlays (`extends`): a base pack's data merged with an overlay's rules, params and
disables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.errors import PackError
from svcrules.pack.params import effective_types
from svcrules.pack.positions import Document, Position
from svcrules.pack.pyerrors import pydantic_diagnostics
from svcrules.pack.schema import Pack, PackSpec

MAX_EXTENDS = 8


@dataclass(frozen=True, slots=True)
class _RuleOrigin:
    doc: Document
    path: str  # the rule's path in its own document


def _merged_params(base: PackSpec, overlay: PackSpec) -> dict[str, Any]:
    """``params``, ``param_types`` and ``edition_params`` of an overlay on its base."""
    merged: dict[str, Any] = {}
    merged["params"] = deep_merge(base.params, overlay.params)
    # The base's params keep their types (declared or inferred from the base's values), so the
    # overlay's values are checked against them; the overlay may declare types of its own.
    base_types = effective_types(base.params, base.param_types, base.edition_params)
    merged["param_types"] = {
        name: t.model_dump(exclude_defaults=True)
        for name, t in {**base_types, **overlay.param_types}.items()
    }
    # An overlay's param applies in every edition: it also wins over the base's edition values.
    editions = {
        ed: deep_merge(values, {k: v for k, v in overlay.params.items() if k in values})
        for ed, values in base.edition_params.items()
    }
    for ed, values in overlay.edition_params.items():
        editions[ed] = deep_merge(editions.get(ed, {}), values)
    merged["edition_params"] = editions
    return merged


def _overlay(
    base: Pack, spec: PackSpec, doc: Document, index: list[int]
) -> tuple[PackSpec, list[_RuleOrigin], list[Diagnostic]]:
    """Apply an overlay to its base: params deep-merged, sections merged by key, rules and KPIs
    replaced by id or added, ``disable`` drops base rules."""
    problems: list[Diagnostic] = []
    base_spec = base.spec
    fields = spec.model_fields_set
    merged: dict[str, Any] = base_spec.model_dump(by_alias=True, exclude={"rules", "disable"})
    for key in ("pack", "version", "title", "description", "timezone", "extends"):
        if key in fields:
            merged[key] = getattr(spec, key)
    for section in ("sources", "editions", "calendars", "scorecards", "counters", "events"):
        if section in fields:
            merged[section] = {
                **merged[section],
                **spec.model_dump(by_alias=True)[section],
            }
    merged["kpis"] = _merged_kpis(merged["kpis"], spec)
    merged.update(_merged_params(base_spec, spec))
    base_ids = [r.id for r in base_spec.rules]
    base_origin = {
        r.id: _RuleOrigin(_located_doc(base, r.id), join_path("$.rules", i))
        for i, r in enumerate(base_spec.rules)
    }
    for j, rid in enumerate(spec.disable):
        if rid not in base_ids:
            problems.append(
                doc.locate(
                    Diagnostic(
                        "overlay.unknown-rule",
                        f"`disable` names {rid!r}, which the base pack {base.name!r} does not have",
                        join_path("$.disable", j),
                    )
                )
            )
    replacing = {r.id: (i, r) for i, r in enumerate(spec.rules)}
    rules: list[Any] = []
    origins: list[_RuleOrigin] = []
    for r in base_spec.rules:
        if r.id in spec.disable:
            continue
        if r.id in replacing:
            i, new = replacing.pop(r.id)
            rules.append(new)
            origins.append(_RuleOrigin(doc, join_path("$.rules", index[i])))
        else:
            rules.append(r)
            origins.append(base_origin[r.id])
    for i, new in replacing.values():
        rules.append(new)
        origins.append(_RuleOrigin(doc, join_path("$.rules", index[i])))
    merged["rules"] = [r.model_dump(by_alias=True, exclude_unset=True) for r in rules]
    try:
        return PackSpec.model_validate(merged), origins, problems
    except ValidationError as exc:  # pragma: no cover - both halves were valid on their own
        raise PackError(doc.locate(d) for d in pydantic_diagnostics(exc, merged)) from None


def _merged_kpis(base: list[dict[str, Any]], overlay: PackSpec) -> list[dict[str, Any]]:
    """The base's KPIs with the overlay's replacing those of the same id, then its new ones."""
    if "kpis" not in overlay.model_fields_set:
        return base
    mine = {k.id: k.model_dump(by_alias=True, exclude_unset=True) for k in overlay.kpis}
    kept = [mine.pop(k["id"], k) for k in base]
    return [*kept, *mine.values()]


def _located_doc(base: Pack, rule_id: str) -> Document:
    """A stand-in document that locates every path of a base rule at the rule's own position."""
    file, line, col = base.locations.get(rule_id, (base.source, None, None))
    keys = {}
    if line is not None and col is not None:
        keys["$"] = Position(line, col)
    return Document(None, file, keys, {})


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` wins; nested mappings merge key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class ParamLayer:
    """What one pack of an overlay chain wrote for a param: its value, and its editions'."""

    pack: str
    value: Any
    editions: Mapping[str, Any]
    """The values its ``editions:`` give the param, by edition (only those that set it)."""

    def value_in(self, edition: str | None) -> Any:
        """The value this pack gave the param in ``edition`` (its editions merge over it)."""
        if edition is None or edition not in self.editions:
            return self.value
        return deep_merge({"v": self.value}, {"v": self.editions[edition]})["v"]
