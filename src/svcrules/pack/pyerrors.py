"""Packs: pydantic validation errors turned into located svcrules diagnostics."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from svcrules.diagnostics import Diagnostic, did_you_mean, join_path

_CODES = {
    "extra_forbidden": "schema.unknown-key",
    "missing": "schema.missing",
    "literal_error": "schema.bad-value",
    "enum": "schema.bad-value",
    "string_pattern_mismatch": "schema.bad-name",
}


def pydantic_diagnostics(
    exc: ValidationError, data: Any, model: type[BaseModel] | None = None
) -> list[Diagnostic]:
    """One diagnostic per distinct location; union members' alternatives are merged. With the
    ``model`` validated, an unknown key gets a "did you mean" hint from the keys it has."""
    by_path: dict[str, Diagnostic] = {}
    for err in exc.errors(include_url=False):
        path, found, _ = _walk(err["loc"], data)
        code = _CODES.get(err["type"], "schema.bad-type")
        msg = err["msg"]
        hint = None
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            msg = f"unknown key {key!r}"
            hint = _key_hint(key, allowed_keys(model, err["loc"][:-1])) if model else None
        elif err["type"] == "missing":
            msg = f"required key {str(err['loc'][-1])!r} is missing"
        elif err["loc"][-1:] == ("[key]",):  # a key (a name) does not match its pattern
            key = str(err["loc"][-2])
            msg = f"name {key!r} does not match the pattern {_pattern(err)}"
            hint = _NAME_HINTS.get(_pattern(err))
        elif found is not _NOTHING:
            msg = f"{msg} (found {found!r})"
        d = Diagnostic(code, msg, path, hint=hint)
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


_NAME_HINTS = {
    "^[a-z][a-z0-9_]*$": "names are snake_case: lowercase letters, digits and `_`, e.g. reply_days",
    r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$": "event types are dotted lowercase names with at "
    "least one dot, e.g. fault.reported",
}


def _pattern(err: Any) -> str:
    ctx = err.get("ctx") or {}
    return str(ctx.get("pattern", "?"))


def _key_hint(key: str, allowed: list[str]) -> str | None:
    if not allowed:
        return None
    return did_you_mean(key, allowed) or "known keys: " + ", ".join(sorted(allowed))


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)


def allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the mapping at ``loc`` (a pydantic error location) may have, from the model's
    JSON Schema: each part of ``loc`` is followed through ``properties``, ``items``,
    ``additionalProperties``, ``patternProperties`` and ``anyOf``; a part that matches none (a
    tag naming a union member, such as ``DeadlineSpec``) is skipped."""
    root = _schema(model)
    nodes: list[Any] = [root]
    for part in loc:
        following = [n for node in nodes for n in _step(root, node, part)]
        if following:
            nodes = following
    return sorted({k for node in nodes for k in _properties(root, node)})


def _resolve(root: dict[str, Any], node: Any) -> list[dict[str, Any]]:
    """A schema node with its ``$ref`` followed and its ``anyOf`` spread out."""
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
    out = [node]
    for alt in node.get("anyOf", []):
        out += _resolve(root, alt)
    return out


def _step(root: dict[str, Any], node: Any, part: int | str) -> list[Any]:
    out: list[Any] = []
    for n in _resolve(root, node):
        if isinstance(part, int):
            out += [n["items"]] if isinstance(n.get("items"), dict) else []
        elif part in n.get("properties", {}):
            out.append(n["properties"][part])
        elif isinstance(n.get("additionalProperties"), dict):
            out.append(n["additionalProperties"])
        else:  # a mapping keyed by name: `dict[Name, X]`
            out += list((n.get("patternProperties") or {}).values())
    return out


def _properties(root: dict[str, Any], node: Any) -> list[str]:
    return [k for n in _resolve(root, node) for k in n.get("properties", {})]
