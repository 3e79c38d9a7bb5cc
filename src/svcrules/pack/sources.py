"""Sources: the only module that parses YAML, TOML and JSON into plain data and a position map.

Floats are read as ``Decimal`` in every format, so limits written in a pack (``1.07``) stay exact.
Positions come from the YAML composer (JSON is parsed by ``json`` for the data and composed by YAML
for positions); TOML gives no positions, so its diagnostics carry the path only.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.errors import PackError

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML was built with it (several times faster); nodes and marks are
the same either way."""

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data read from one file, with where each JSON path starts (keys and values)."""

    data: Any
    file: str | None
    keys: Mapping[str, Position] = field(default_factory=dict)
    values: Mapping[str, Position] = field(default_factory=dict)

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        """Fill in ``file:line:col`` for a diagnostic from the nearest known enclosing path.

        Expression diagnostics carry a column inside the expression text; it is shifted to the
        column of the scalar in the file.
        """
        from dataclasses import replace

        if diagnostic.line is not None:
            return diagnostic
        path = diagnostic.path
        inner_col = diagnostic.column
        if inner_col is not None and path in self.values:
            at = self.values[path]
            return replace(
                diagnostic,
                file=self.file,
                line=at.line,
                column=at.column + inner_col - 1 + (1 if at.quoted else 0),
            )
        probe = path
        while True:
            pos: Position | None = self.keys.get(probe) or self.values.get(probe)
            if pos is not None:
                return replace(diagnostic, file=self.file, line=pos.line, column=pos.column)
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                return replace(diagnostic, file=self.file)
            probe = probe[:cut]


def read_text(text: str, fmt: str, file: str | None = None) -> Document:
    """Parse ``text`` in ``fmt`` (yaml, toml or json); syntax errors raise one ``PackError``."""
    if fmt == "toml":
        try:
            return Document(tomllib.loads(text, parse_float=Decimal), file)
        except tomllib.TOMLDecodeError as exc:
            raise PackError(
                [Diagnostic("pack.syntax", f"TOML syntax error: {exc}", file=file)]
            ) from None
    if fmt == "json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise PackError(
                [
                    Diagnostic(
                        "pack.syntax",
                        f"JSON syntax error: {exc.msg}",
                        file=file,
                        line=exc.lineno,
                        column=exc.colno,
                    )
                ]
            ) from None
        try:
            doc = _compose(text, file)
        except (
            PackError
        ):  # valid JSON that PyYAML 1.1 cannot compose: keep the data, drop positions
            return Document(data, file)
        return Document(data, file, doc.keys, doc.values)
    return _compose(text, file)


def read_file(path: Path) -> Document:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PackError(
            [
                Diagnostic(
                    "pack.format",
                    f"unknown pack format {path.suffix!r}",
                    file=str(path),
                    hint="use .yaml, .yml, .toml or .json",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError([Diagnostic("pack.unreadable", str(exc), file=str(path))]) from None
    return read_text(text, fmt, str(path))


class _Composer:
    def __init__(self, file: str | None) -> None:
        self.file = file
        self.keys: dict[str, Position] = {}
        self.values: dict[str, Position] = {}
        self.problems: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: str) -> Any:
        mark = node.start_mark
        quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
        self.values[path] = Position(mark.line + 1, mark.column + 1, quoted)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path + "{key}")
                if isinstance(key, bool) and not key_node.style:
                    # YAML 1.1 reads a bare `on:` (or yes/no/off) key as a boolean; in a pack a
                    # key is always a name, so keep the text the author wrote.
                    key = key_node.value
                if not isinstance(key, str | int | bool) and key is not None:
                    key = str(key)
                child = join_path(path, key if isinstance(key, str) else str(key))
                kmark = key_node.start_mark
                if key in out:
                    self.problems.append(
                        Diagnostic(
                            "pack.duplicate-key",
                            f"key {key!r} appears twice; the second would silently win",
                            path=child,
                            file=self.file,
                            line=kmark.line + 1,
                            column=kmark.column + 1,
                        )
                    )
                self.keys[child] = Position(kmark.line + 1, kmark.column + 1)
                out[key] = self.build(value_node, child)
            self.values.pop(path + "{key}", None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, join_path(path, i)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:float":
            text = node.value.replace("_", "")
            if text.lower().lstrip("+-") in (".inf", ".nan"):
                return self._constructor.construct_object(node)
            return Decimal(text)
        return self._constructor.construct_object(node)


def _compose(text: str, file: str | None) -> Document:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PackError(
            [
                Diagnostic(
                    "pack.syntax",
                    f"YAML syntax error: {exc.problem or exc.context}",
                    file=file,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise PackError([Diagnostic("pack.syntax", f"YAML error: {exc}", file=file)]) from None
    if root is None:
        return Document(None, file)
    composer = _Composer(file)
    try:
        data = composer.build(root, "$")
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise PackError(
            [Diagnostic("pack.syntax", f"YAML value error: {exc}", file=file)]
        ) from None
    if composer.problems:
        raise PackError(composer.problems)
    return Document(data, file, composer.keys, composer.values)
