"""Packs: pydantic validation errors turned into located svcrules diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from svcrules.diagnostics import Diagnostic, join_path

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
