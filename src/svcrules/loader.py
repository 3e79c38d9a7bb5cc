"""Loader: name, path or mapping → sources → pydantic ``PackSpec`` → semantic checks → ``Pack``.

Every problem of a pack is collected, located (``file:line:col`` from the source's position map)
and raised at once in one ``PackError``; no pydantic, YAML or OS exception reaches the caller.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from svcrules.checks import check_pack
from svcrules.diagnostics import Diagnostic, join_path
from svcrules.errors import PackError, PackNotFoundError, SvcrulesError, internal_error
from svcrules.schema import Pack, PackSpec, RuleSpec
from svcrules.sources import FORMATS, Document, read_file

PACK_FILES = ("pack.yaml", "pack.yml", "pack.toml", "pack.json")
ENTRY_POINT_GROUP = "svcrules.packs"
MAX_EXTENDS = 8


@dataclass(frozen=True, slots=True)
class PackInfo:
    """A pack that ``list_packs`` found: enough to choose one without compiling it."""

    name: str
    version: str
    title: str
    source: str
    origin: str  # "builtin" or "plugin"

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "source": self.source,
            "origin": self.origin,
        }


def builtin_dir() -> Path:
    """Where the built-in packs are: inside the installed package, or the repository's policies/."""
    here = Path(__file__).resolve().parent
    packaged = here / "_policies"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "policies"


def _plugin_packs() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            if callable(target):
                target = target()
            found[ep.name] = Path(str(target))
        except Exception:  # a broken plug-in must not break the listing of the others
            continue
    return found


def _pack_file(directory: Path) -> Path | None:
    for name in PACK_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, Path)
        or "/" in text
        or "\\" in text
        or (Path(text).suffix.lower() in FORMATS)
    )
    candidates: list[Path] = []
    if looks_like_path:
        p = Path(text)
        if relative_to is not None and not p.is_absolute():
            candidates.append(relative_to / p)
        candidates.append(p)
    else:
        candidates.append(builtin_dir() / text)
        plugin = _plugin_packs().get(text)
        if plugin is not None:
            candidates.append(plugin)
        if relative_to is not None:
            candidates.append(relative_to / text)
        candidates.append(Path(text))
    for p in candidates:
        if p.is_dir():
            found = _pack_file(p)
            if found is not None:
                return found
        elif p.is_file():
            return p
    known = sorted(info.name for info in list_packs())
    raise PackNotFoundError(
        [
            Diagnostic(
                "pack.not-found",
                f"no built-in pack, plug-in pack or file named {text!r}",
                hint=("built-in and plug-in packs: " + ", ".join(known)) if known else None,
            )
        ]
    )


def list_packs() -> list[PackInfo]:
    """Built-in and plug-in packs, by name; a pack that fails to load is still listed."""
    out: list[PackInfo] = []
    roots: list[tuple[str, Path]] = []
    base = builtin_dir()
    if base.is_dir():
        roots += [("builtin", d) for d in sorted(base.iterdir()) if d.is_dir()]
    roots += [("plugin", p) for _, p in sorted(_plugin_packs().items())]
    for origin, root in roots:
        file = _pack_file(root) if root.is_dir() else root
        if file is None:
            continue
        try:
            doc = read_file(file)
            data = doc.data if isinstance(doc.data, Mapping) else {}
        except PackError:
            data = {}
        out.append(
            PackInfo(
                name=str(data.get("pack", root.name)),
                version=str(data.get("version", "?")),
                title=str(data.get("title", "")),
                source=str(file),
                origin=origin,
            )
        )
    return out


def load_pack(source: str | Path | Mapping[str, Any] | Pack, *, edition: str | None = None) -> Pack:
    """Load, validate and check a pack: a built-in name, a plug-in name, a path, or a mapping.

    Raises ``PackError`` (``PackNotFoundError`` for an unknown name) and nothing else."""
    try:
        return _load_pack(source, edition)
    except SvcrulesError:
        raise
    except Exception as exc:  # a bug of ours must still reach the caller as a PackError
        raise internal_error(PackError, "pack.internal", "on this pack", exc) from exc


def _load_pack(source: str | Path | Mapping[str, Any] | Pack, edition: str | None) -> Pack:
    if isinstance(source, Pack):
        if edition is None:
            return source  # keep the edition it was loaded with
        pack = source
    elif isinstance(source, Mapping):
        data = _yaml11_on(copy.deepcopy(dict(source)))
        pack = _load_document(Document(data, None), None, ())
    elif isinstance(source, str | Path):
        path = _resolve(source)
        pack = _load_document(read_file(path), path, ())
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


# --- documents → spec ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RuleOrigin:
    doc: Document
    path: str  # the rule's path in its own document


def _load_document(doc: Document, path: Path | None, chain: tuple[str, ...]) -> Pack:
    data = doc.data
    if not isinstance(data, Mapping):
        raise PackError(
            [Diagnostic("pack.not-mapping", "a pack is a mapping at its top level", file=doc.file)]
        )
    base: Pack | None = None
    origins: list[_RuleOrigin]
    extends = data.get("extends")
    if isinstance(extends, str):
        base_path = _resolve(extends, path.parent if path else None)
        key = str(base_path.resolve())
        if key in chain or len(chain) >= MAX_EXTENDS:
            raise PackError(
                [
                    Diagnostic(
                        "overlay.cycle",
                        f"`extends` chain loops or is too deep: {' -> '.join((*chain, key))}",
                        "$.extends",
                        file=doc.file,
                    )
                ]
            )
        base_doc = read_file(base_path)
        base = _load_document(base_doc, base_path, (*chain, key))
    spec, problems, index = _validate(doc)
    located = [doc.locate(d) for d in problems]
    if base is None:
        origins = [_RuleOrigin(doc, join_path("$.rules", i)) for i in index]
        merged = spec
    else:
        merged, origins, overlay_problems = _overlay(base, spec, doc, index)
        located += overlay_problems
    broken = _broken_names(doc.data, merged)
    problems = located + _locate(check_pack(merged, broken), doc, origins)
    if problems:
        raise PackError(problems)
    locations: dict[str, tuple[str | None, int | None, int | None]] = {}
    for rule, origin in zip(merged.rules, origins, strict=True):
        where = origin.doc.locate(Diagnostic("x", "", origin.path))
        locations[rule.id] = (where.file, where.line, where.column)
    return Pack(merged, source=str(path) if path else None, edition=None, locations=locations)


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
        problems = pydantic_diagnostics(exc, data)
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


def _broken_names(data: Mapping[str, Any], spec: PackSpec) -> dict[str, frozenset[str]]:
    """Names the document declares that did not survive schema validation."""
    out: dict[str, frozenset[str]] = {}
    for section in ("sources", "editions", "calendars", "scorecards", "counters", "events"):
        raw = data.get(section)
        if isinstance(raw, Mapping):
            out[section] = frozenset(str(k) for k in raw) - set(getattr(spec, section))
    clocks = set()
    rules = data.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        deadline = rule.get("deadline") if isinstance(rule, Mapping) else None
        if (
            isinstance(deadline, Mapping)
            and isinstance(deadline.get("clock"), str)
            and deadline.get("action", "start") == "start"
        ):
            clocks.add(deadline["clock"])
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


def _overlay(
    base: Pack, spec: PackSpec, doc: Document, index: list[int]
) -> tuple[PackSpec, list[_RuleOrigin], list[Diagnostic]]:
    """Apply an overlay to its base: params deep-merged, sections merged by key, rules replaced
    by id or added, ``disable`` drops base rules."""
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
    merged["params"] = deep_merge(base_spec.params, spec.params)
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


def _located_doc(base: Pack, rule_id: str) -> Document:
    """A stand-in document that locates every path of a base rule at the rule's own position."""
    file, line, col = base.locations.get(rule_id, (base.source, None, None))
    from svcrules.sources import Position

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


# --- pydantic errors → diagnostics -----------------------------------------------------------

_CODES = {
    "extra_forbidden": "schema.unknown-key",
    "missing": "schema.missing",
    "literal_error": "schema.bad-value",
    "enum": "schema.bad-value",
    "string_pattern_mismatch": "schema.bad-name",
}


def pydantic_diagnostics(exc: ValidationError, data: Any) -> list[Diagnostic]:
    """One diagnostic per distinct location; union members' alternatives are merged."""
    by_path: dict[str, Diagnostic] = {}
    for err in exc.errors(include_url=False):
        path, found, _ = _walk(err["loc"], data)
        code = _CODES.get(err["type"], "schema.bad-type")
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {str(err['loc'][-1])!r}"
        elif err["type"] == "missing":
            msg = f"required key {str(err['loc'][-1])!r} is missing"
        elif found is not _NOTHING:
            msg = f"{msg} (found {found!r})"
        d = Diagnostic(code, msg, path)
        if path in by_path:
            prev = by_path[path]
            if code == prev.code and msg not in prev.message:
                by_path[path] = replace(prev, message=f"{prev.message}; or {msg}")
            continue
        by_path[path] = d
    return list(by_path.values())


_NOTHING = object()


def _walk(loc: tuple[int | str, ...], data: Any) -> tuple[str, Any, tuple[str | int, ...]]:
    """Follow a pydantic ``loc`` through the data, dropping union-member tags pydantic inserts.

    Returns the JSON path, the value found there (or ``_NOTHING``) and the keys followed."""
    path = "$"
    node: Any = data
    keys: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            path = join_path(path, str(part))
            keys.append(part)
        elif isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path = join_path(path, part)
            keys.append(part)
        elif i == len(loc) - 1 and isinstance(node, Mapping) and isinstance(part, str):
            return join_path(path, part), _NOTHING, (*keys, part)
        # else: a tag like 'str' or 'tuple[str, ...]' naming a union member
    return path, node, tuple(keys)
