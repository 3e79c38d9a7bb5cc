"""Sources: the only module that parses YAML, TOML and JSON into plain data and a position map.

Floats are read as ``Decimal`` in every format, so limits written in a pack (``1.07``) stay exact.
Positions come from the YAML composer (JSON is parsed by ``json`` for the data and composed by YAML
for positions); ``tomllib`` gives none, so a TOML pack's come from a scanner (``tomlpos``).

A pack is untrusted data: file size, nesting depth and every number's digits and exponent are
bounded (``svcrules.limits``), YAML anchors and aliases are refused (a pack needs none, and they
are the "billion laughs"), and only JSON-like values (plus YAML/TOML dates and times) get through.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.errors import PackError
from svcrules.limits import (
    MAX_DEPTH,
    MAX_NUMBER_TEXT,
    MAX_PACK_BYTES,
    NumberTooLarge,
    bracket_depth,
    json_float,
    json_int,
    number_problem,
)
from svcrules.pack.positions import Document, Position, Span
from svcrules.pack.tomlpos import toml_positions

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML was built with it (several times faster); nodes and marks are
the same either way."""

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def read_text(text: str, fmt: str, file: str | None = None) -> Document:
    """Parse ``text`` in ``fmt`` (yaml, toml or json); problems raise one ``PackError``."""
    if len(text) > MAX_PACK_BYTES:
        raise PackError([_too_large(len(text), file)])
    if fmt in ("toml", "json") and bracket_depth(text) > MAX_DEPTH:
        raise PackError(
            [
                Diagnostic(
                    "pack.too-deep", f"lists or tables nested deeper than {MAX_DEPTH}", file=file
                )
            ]
        )
    if fmt == "toml":
        try:
            data = tomllib.loads(text, parse_float=_pack_float)
        except tomllib.TOMLDecodeError as exc:
            raise PackError(
                [Diagnostic("pack.syntax", f"TOML syntax error: {exc}", file=file)]
            ) from None
        except ValueError:  # int() past Python's 4300-digit limit, inside tomllib
            raise PackError(
                [Diagnostic("pack.bad-number", "an integer has far too many digits", file=file)]
            ) from None
        keys, values = toml_positions(text)
        return check_data(Document(data, file, keys, values))
    if fmt == "json":
        return _read_json(text, file)
    return check_data(_compose(text, file))


def _read_json(text: str, file: str | None) -> Document:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return out

    try:
        data = json.loads(
            text,
            parse_float=_pack_float,
            parse_int=_pack_int,
            parse_constant=_pack_constant,
            object_pairs_hook=pairs,
        )
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
    except PackError as exc:
        # Either PyYAML 1.1 cannot compose this valid JSON (then positions are lost), or the
        # composer found what `json` let through (duplicate keys, numbers out of bounds) and
        # located it: prefer its diagnostics then.
        plain = Document(data, file)
        if duplicates or not _passes(plain):
            if set(exc.codes) & _DATA_CODES:
                raise
            if duplicates:
                raise PackError(
                    Diagnostic(
                        "pack.duplicate-key",
                        f"key {key!r} appears twice; the second would silently win",
                        file=file,
                    )
                    for key in dict.fromkeys(duplicates)
                ) from None
        return check_data(plain)
    return check_data(Document(data, file, doc.keys, doc.values, text))


_DATA_CODES = frozenset(
    {"pack.duplicate-key", "pack.bad-number", "pack.bad-value", "pack.too-deep"}
)


def _passes(doc: Document) -> bool:
    try:
        check_data(doc)
    except PackError:
        return False
    return True


class _BadNumber:
    """Stands in for a number out of bounds until ``check_data`` reports it at its path."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return "<number out of bounds>"


def _pack_float(text: str) -> Decimal | _BadNumber:
    try:
        return json_float(text)
    except (NumberTooLarge, InvalidOperation) as exc:
        return _BadNumber(str(exc))


def _pack_int(text: str) -> int | _BadNumber:
    try:
        return json_int(text)
    except NumberTooLarge as exc:
        return _BadNumber(str(exc))


def _pack_constant(text: str) -> _BadNumber:
    return _BadNumber(f"{text} is not a JSON number")


_PLAIN = (str, int, Decimal, float, dt.date, dt.time, type(None))
"""Scalars a pack may hold: JSON's, plus the dates and times YAML and TOML read natively
(``bool`` is an ``int``; ``datetime`` is a ``date``)."""


def check_data(doc: Document) -> Document:
    """Refuse what no pack needs: values nested deeper than MAX_DEPTH, numbers out of bounds,
    and anything that is not JSON-like data (``!!binary`` bytes, sets, objects). Iterative, so
    any depth is safe; every problem is reported at its path."""
    problems: list[Diagnostic] = []
    stack: list[tuple[Any, str, int]] = [(doc.data, "$", 0)]
    while stack and len(problems) < 100:
        value, path, depth = stack.pop()
        if isinstance(value, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                problems.append(
                    Diagnostic("pack.too-deep", f"nested deeper than {MAX_DEPTH} levels", path)
                )
                continue
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if not isinstance(key, str | int | type(None)):
                        problems.append(_bad_value(key, path))
                        continue
                    stack.append((item, join_path(path, str(key)), depth + 1))
            else:
                stack.extend((item, join_path(path, i), depth + 1) for i, item in enumerate(value))
        elif isinstance(value, _BadNumber):
            problems.append(Diagnostic("pack.bad-number", value.problem, path))
        elif not isinstance(value, _PLAIN):
            problems.append(_bad_value(value, path))
        elif (problem := number_problem(value)) is not None:
            problems.append(Diagnostic("pack.bad-number", problem, path))
    if problems:
        raise PackError(doc.locate(d) for d in problems)
    return doc


def _bad_value(value: Any, path: str) -> Diagnostic:
    kinds: dict[type, str] = {bytes: "binary data (!!binary)", set: "a set (!!set)"}
    kind = kinds.get(type(value), type(value).__name__)
    return Diagnostic(
        "pack.bad-value",
        f"{kind} is not pack data",
        path,
        hint="a pack holds strings, numbers, booleans, null, dates, lists and mappings",
    )


def _too_large(size: int, file: str | None) -> Diagnostic:
    return Diagnostic(
        "pack.too-large",
        f"pack of {size} bytes; at most {MAX_PACK_BYTES} are read",
        file=file,
    )


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
        if not path.is_file():  # a FIFO or a device would block or never end
            raise PackError([Diagnostic("pack.unreadable", "not a regular file", file=str(path))])
        size = path.stat().st_size
        if size > MAX_PACK_BYTES:
            raise PackError([_too_large(size, str(path))])
        with path.open("rb") as f:
            raw = f.read(MAX_PACK_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError([Diagnostic("pack.unreadable", str(exc), file=str(path))]) from None
    return read_text(text, fmt, str(path))


class _Composer:
    def __init__(self, file: str | None, text: str) -> None:
        self.file = file
        self.lines = text.split("\n")
        self.keys: dict[str, Position] = {}
        self.values: dict[str, Position] = {}
        self.problems: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")

    def problem(self, code: str, message: str, path: str, mark: Any) -> None:
        self.problems.append(
            Diagnostic(
                code, message, path, file=self.file, line=mark.line + 1, column=mark.column + 1
            )
        )

    def build(self, node: yaml.Node, path: str, depth: int = 0) -> Any:
        mark = node.start_mark
        quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
        self.values[path] = Position(mark.line + 1, mark.column + 1, quoted, self.span(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and depth >= MAX_DEPTH:
            self.problem("pack.too-deep", f"nested deeper than {MAX_DEPTH} levels", path, mark)
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path + "{key}", depth + 1)
                if isinstance(key, bool) and not key_node.style:
                    # YAML 1.1 reads a bare `on:` (or yes/no/off) key as a boolean; in a pack a
                    # key is always a name, so keep the text the author wrote.
                    key = key_node.value
                if not isinstance(key, str | int | bool) and key is not None:
                    key = str(key)
                child = join_path(path, key if isinstance(key, str) else str(key))
                kmark = key_node.start_mark
                if key in out:
                    self.problem(
                        "pack.duplicate-key",
                        f"key {key!r} appears twice; the second would silently win",
                        child,
                        kmark,
                    )
                self.keys[child] = Position(kmark.line + 1, kmark.column + 1)
                out[key] = self.build(value_node, child, depth + 1)
            self.values.pop(path + "{key}", None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, join_path(path, i), depth + 1) for i, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.ScalarNode) and node.tag in (
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:int",
        ):
            return self.number(node, path)
        return self._constructor.construct_object(node)

    def span(self, node: yaml.Node) -> Span | None:
        """A string scalar that is not its value character for character: a block scalar, one
        over several lines, or one with escapes (``"a \\"b\\""``)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            return None
        start, end = node.start_mark, node.end_mark
        if node.style not in ("|", ">") and start.line == end.line:
            written = self.lines[start.line][start.column : end.column]
            if node.style != '"' or "\\" not in written:
                return None
        return Span(
            start.line + 1, start.column + 1, end.line + 1, end.column + 1, node.style, node.value
        )

    def number(self, node: yaml.ScalarNode, path: str) -> Any:
        text = node.value.replace("_", "")
        if len(text) > MAX_NUMBER_TEXT:  # before int() or Decimal() see it
            self.problem(
                "pack.bad-number",
                f"number written with {len(text)} characters",
                path,
                node.start_mark,
            )
            return None
        if node.tag == "tag:yaml.org,2002:int" or text.lower().lstrip("+-") in (".inf", ".nan"):
            value = self._constructor.construct_object(node)
        else:
            value = Decimal(text)
        problem = number_problem(value)
        if problem is not None:
            self.problem("pack.bad-number", problem, path, node.start_mark)
            return None
        if isinstance(value, Decimal) and value.is_zero():
            return Decimal(0).copy_sign(value)  # 0E+999999999 is zero
        return value


def _refuse_anchors(text: str, file: str | None) -> None:
    """Refuse YAML anchors (``&a``) and aliases (``*a``): a pack needs neither, and aliases
    are how a few hundred bytes expand into gigabytes ("billion laughs") or loop (``&a [*a]``).

    The event stream shows them before any node is built; it is only read when the text has an
    ``&`` or ``*`` at all."""
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=_LOADER):
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            continue
        what = "an alias" if isinstance(event, yaml.AliasEvent) else "an anchor"
        mark: Any = event.start_mark
        raise PackError(
            [
                Diagnostic(
                    "pack.syntax",
                    f"{what} (`{'*' if what == 'an alias' else '&'}{anchor}`) in a pack: "
                    "YAML anchors and aliases are refused",
                    file=file,
                    line=mark.line + 1,
                    column=mark.column + 1,
                    hint="packs do not use YAML anchors or aliases: write the value out",
                )
            ]
        )


def _compose(text: str, file: str | None) -> Document:
    try:
        _refuse_anchors(text, file)
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise _marked(exc, f"YAML syntax error: {exc.problem or exc.context}", file) from None
    except yaml.YAMLError as exc:
        raise PackError([Diagnostic("pack.syntax", f"YAML error: {exc}", file=file)]) from None
    if root is None:
        return Document(None, file)
    composer = _Composer(file, text)
    try:
        data = composer.build(root, "$")
    except yaml.MarkedYAMLError as exc:
        raise _marked(exc, f"YAML value error: {exc.problem or exc}", file) from None
    except (yaml.YAMLError, ValueError, TypeError, ArithmeticError) as exc:
        raise PackError(
            [Diagnostic("pack.syntax", f"YAML value error: {exc}", file=file)]
        ) from None
    if composer.problems:
        raise PackError(composer.problems)
    return Document(data, file, composer.keys, composer.values, text)


def _marked(exc: yaml.MarkedYAMLError, message: str, file: str | None) -> PackError:
    """A ``pack.syntax`` error at the position the YAML parser marked."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return PackError([Diagnostic("pack.syntax", message, file=file, line=line, column=column)])
