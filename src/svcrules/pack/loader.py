"""Packs: load a pack from a name, path, mapping or Pack: read, validate, check, select the
edition.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.errors import PackError, SvcrulesError, internal_error
from svcrules.limits import MAX_PACK_BYTES
from svcrules.pack.checks import ExprTable, check_pack
from svcrules.pack.overlay import MAX_EXTENDS, ParamLayer, _overlay, _RuleOrigin
from svcrules.pack.positions import Document
from svcrules.pack.pyerrors import _walk, pydantic_diagnostics
from svcrules.pack.registry import _resolve, resolve_base
from svcrules.pack.schema import Pack, PackSpec, RuleSpec
from svcrules.pack.sources import check_data, read_file

DEFAULT_ROOT: Path | None = None
"""The directory every path-like ``extends`` must stay inside when ``load_pack`` gets no
``root``; ``None``: inside the directory that holds the top-level pack's directory (so sibling
pack directories work), or the current directory for a pack given as a mapping."""


@dataclass(frozen=True, slots=True)
class _Reach:
    """How far ``extends`` may reach: a resolved directory, and whether the caller set it."""

    root: Path
    explicit: bool


def load_pack(
    source: str | Path | Mapping[str, object] | Pack,
    *,
    edition: str | None = None,
    root: str | Path | None = None,
) -> Pack:
    """Load, validate and check a pack: a built-in name, a plug-in name, a path, or a mapping.

    ``root`` bounds what ``extends`` may read (see ``DEFAULT_ROOT`` and ``docs/security.md``).
    Raises ``PackError`` (``PackNotFoundError`` for an unknown name) and nothing else."""
    try:
        return _load_pack(source, edition, root if root is not None else DEFAULT_ROOT)
    except SvcrulesError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise PackError(
            [
                Diagnostic(
                    "pack.resource-limit",
                    f"the pack is too large or too complex to load ({type(exc).__name__})",
                )
            ]
        ) from None
    except Exception as exc:  # a bug of ours must still reach the caller as a PackError
        raise internal_error(PackError, "pack.internal", "on this pack", exc) from exc


def _load_pack(
    source: str | Path | Mapping[str, Any] | Pack, edition: str | None, root: str | Path | None
) -> Pack:
    if isinstance(source, Pack):
        if edition is None:
            return source  # keep the edition it was loaded with
        pack = source
    elif isinstance(source, Mapping):
        check_data(Document(source, None))  # before deepcopy, which recurses
        data = _yaml11_on(copy.deepcopy(dict(source)))
        reach = _Reach(Path(root if root is not None else Path.cwd()).resolve(), root is not None)
        pack = _load_document(Document(data, None), None, (), reach)
    elif isinstance(source, str | Path):
        path = _resolve(source)
        implicit = path.resolve().parent.parent
        reach = _Reach(Path(root if root is not None else implicit).resolve(), root is not None)
        pack = _load_document(read_file(path), path, (), reach)
    else:
        raise PackError(
            [
                Diagnostic(
                    "pack.source",
                    f"a pack is a name, a path or a mapping, not {type(source).__name__}",
                )
            ]
        )
    return pack.with_edition(_select_edition(pack, edition))


def _yaml11_on(data: dict[str, Any]) -> dict[str, Any]:
    """A mapping read with ``yaml.safe_load`` (YAML 1.1) has ``True`` where a rule says ``on:``;
    svcrules' own reader keeps the text, and so does this for mappings callers parsed."""
    rules = data.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, dict) and True in rule and "on" not in rule:
                rule["on"] = rule.pop(True)
    return data


def _select_edition(pack: Pack, edition: str | None) -> str | None:
    editions = pack.spec.editions
    if edition is None:
        return next((n for n, e in editions.items() if e.default), None)
    if edition not in editions:
        known = ", ".join(sorted(editions)) or "none"
        raise PackError(
            [
                Diagnostic(
                    "edition.unknown",
                    f"pack {pack.name!r} has no edition {edition!r} (editions: {known})",
                    "$.editions",
                    file=pack.source,
                )
            ]
        )
    return edition


def _load_document(doc: Document, path: Path | None, chain: tuple[str, ...], reach: _Reach) -> Pack:
    data = doc.data
    if not isinstance(data, Mapping):
        raise PackError(
            [doc.locate(Diagnostic("pack.not-mapping", "a pack is a mapping at its top level"))]
        )
    base: Pack | None = None
    origins: list[_RuleOrigin]
    extends = data.get("extends")
    if isinstance(extends, str):
        here = path.parent if path else (reach.root if reach.explicit else Path.cwd())
        try:
            base_path, named = resolve_base(extends, here, reach.root, reach.explicit)
        except PackError as exc:
            raise type(exc)(doc.locate(d) for d in exc.diagnostics) from None
        if named:  # a built-in or plug-in pack's own `extends` stay beside it
            reach = _Reach(base_path.resolve().parent.parent, False)
        key = str(base_path.resolve())
        if key in chain or len(chain) >= MAX_EXTENDS:
            raise PackError(
                [
                    doc.locate(
                        Diagnostic(
                            "overlay.cycle",
                            f"`extends` chain loops or is too deep: {' -> '.join((*chain, key))}",
                            "$.extends",
                        )
                    )
                ]
            )
        base_doc = _read_base(base_path, extends, doc)
        base = _load_document(base_doc, base_path, (*chain, key), reach)
    spec, problems, index = _validate(doc)
    located = [doc.locate(d) for d in problems]
    layers: dict[str, tuple[ParamLayer, ...]] = {}
    if base is None:
        origins = [_RuleOrigin(doc, join_path("$.rules", i)) for i in index]
        merged = spec
    else:
        merged, origins, overlay_problems = _overlay(base, spec, doc, index)
        located += overlay_problems
        layers.update(base.param_layers)
    for name, value in spec.params.items():
        editions = {ed: vals[name] for ed, vals in spec.edition_params.items() if name in vals}
        layers[name] = (*layers.get(name, ()), ParamLayer(merged.pack, value, editions))
    broken = _broken_names(doc.data, merged, set(index))
    exprs: ExprTable = {}
    problems = located + _locate(check_pack(merged, broken, exprs), doc, origins)
    if problems:
        raise PackError(problems)
    locations: dict[str, tuple[str | None, int | None, int | None]] = {}
    for rule, origin in zip(merged.rules, origins, strict=True):
        where = origin.doc.locate(Diagnostic("x", "", origin.path))
        locations[rule.id] = (where.file, where.line, where.column)
    return Pack(
        merged,
        source=str(path) if path else None,
        edition=None,
        locations=locations,
        exprs=exprs,
        param_layers=layers,
    )


_PACK_KEY = re.compile(r"""^\s*["']?pack["']?\s*[:=]""", re.MULTILINE)


def _read_base(path: Path, extends: str, overlay: Document) -> Document:
    """The document ``extends`` names, refused unless it is a pack (a ``pack`` key at its top).

    Nothing of a file that is not a pack is shown: not its keys, values or syntax errors, since
    ``extends`` must not become a way to print other files."""
    not_a_pack = PackError(
        [
            overlay.locate(
                Diagnostic(
                    "pack.not-a-pack",
                    f"`extends` names {extends!r}, which is not a pack "
                    "(a pack has a `pack` key at its top); its content is not shown",
                    "$.extends",
                )
            )
        ]
    )
    try:
        with path.open("rb") as f:
            head = f.read(MAX_PACK_BYTES + 1).decode("utf-8", errors="replace")
    except OSError:
        head = ""
    if not _PACK_KEY.search(head):
        raise not_a_pack
    doc = read_file(path)
    if not isinstance(doc.data, Mapping) or "pack" not in doc.data:
        raise not_a_pack
    return doc


def _validate(doc: Document) -> tuple[PackSpec, list[Diagnostic], list[int]]:
    """Validate a document; on schema errors, validate what is left without the broken parts so
    that the semantic checks still run on it and every problem is reported in one go.

    Returns the spec, the schema problems, and for each rule of the spec its index in the file.
    """
    data = doc.data
    try:
        spec = PackSpec.model_validate(data)
        return spec, [], list(range(len(spec.rules)))
    except ValidationError as exc:
        problems = pydantic_diagnostics(exc, data, PackSpec)
    partial = dict(data)
    raw_rules = partial.pop("rules", None)
    bad_rules: set[int] = set()
    for d in problems:
        m = re.match(r"^\$\.rules\[(\d+)\]", d.path)
        if m:
            bad_rules.add(int(m.group(1)))
    for _ in range(6):  # each round drops the parts the previous one found broken
        try:
            top = PackSpec.model_validate({**partial, "rules": []})
            break
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                _drop(partial, _walk(err["loc"], partial)[2])
    else:  # pragma: no cover - every round drops at least one part
        raise PackError(doc.locate(d) for d in problems)
    kept: list[Any] = []
    index: list[int] = []
    if isinstance(raw_rules, list):
        for i, raw in enumerate(raw_rules):
            if i not in bad_rules:
                kept.append(raw)
                index.append(i)
    try:
        spec = top.model_copy(update={"rules": tuple(RuleSpec.model_validate(r) for r in kept)})
    except ValidationError:  # pragma: no cover - those rules validated with the whole pack
        raise PackError(doc.locate(d) for d in problems) from None
    return spec, problems, index


def _broken_names(
    data: Mapping[str, Any], spec: PackSpec, kept: set[int]
) -> dict[str, frozenset[str]]:
    """Names the document declares that did not survive schema validation (``kept``: the
    indices of the document's rules that did): references to them are not reported again."""
    out: dict[str, frozenset[str]] = {}
    sections = ("sources", "editions", "calendars", "scorecards", "counters", "events", "params")
    for section in sections:
        raw = data.get(section)
        if isinstance(raw, Mapping):
            out[section] = frozenset(str(k) for k in raw) - set(getattr(spec, section))
    clocks = set()
    rules = data.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        for key, value in rule.items() if isinstance(rule, Mapping) else ():
            # a kept rule's starting clock; any clock a set-aside rule names, under any key
            # (its `deadlin:` or its `action: strat` may be what broke it)
            if not isinstance(value, Mapping) or not isinstance(value.get("clock"), str):
                continue
            if i not in kept or (key == "deadline" and value.get("action", "start") == "start"):
                clocks.add(value["clock"])
    started = {r.deadline.clock for r in spec.rules if r.deadline and r.deadline.action == "start"}
    out["clocks"] = frozenset(clocks - started)
    return out


_PLACEHOLDERS = {"pack": "unnamed", "version": "0", "title": ""}


def _drop(data: dict[str, Any], keys: tuple[str | int, ...]) -> None:
    """Remove (or, for a required identity key, stand in for) the part a schema error is in:
    a top-level key, or one entry of a top-level section."""
    if not keys:
        return
    top = str(keys[0])
    if len(keys) == 1 or not isinstance(data.get(top), dict):
        if top in _PLACEHOLDERS:
            data[top] = _PLACEHOLDERS[top]
        else:
            data.pop(top, None)
        return
    section = dict(data[top])
    section.pop(keys[1], None)
    data[top] = section


def _locate(
    problems: Iterable[Diagnostic], doc: Document, origins: list[_RuleOrigin]
) -> list[Diagnostic]:
    out = []
    for d in problems:
        m = re.match(r"^\$\.rules\[(\d+)\]", d.path)
        if m and int(m.group(1)) < len(origins):
            origin = origins[int(m.group(1))]
            local = replace(d, path=origin.path + d.path[m.end() :])
            out.append(origin.doc.locate(local))
        else:
            out.append(doc.locate(d))
    return out
