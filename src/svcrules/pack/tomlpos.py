"""Sources: where each JSON path of a TOML pack is written (``tomllib`` gives the data only).

A small scanner over text ``tomllib`` has already parsed: table headers (``[a.b]``), arrays of
tables (``[[rules]]``, numbered as TOML numbers them), dotted keys, inline tables and arrays,
strings of every kind (skipped), comments. It records the position of every key and value it
passes. It never raises: on anything it does not follow it stops, and the paths it did not
reach are located at their nearest recorded parent (at worst, file only).
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Callable

from svcrules.diagnostics import join_path
from svcrules.pack.positions import Position

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}\n#")


class _Stop(Exception):
    """The scanner met something it does not follow; what it recorded so far stands."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.keys: dict[str, Position] = {}
        self.values: dict[str, Position] = {}
        self.arrays: dict[str, int] = {}

    def here(self, quoted: bool = False) -> Position:
        return Position(self.line, self.i - self.line_start + 1, quoted)

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i < len(self.text) and self.text[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def blank(self, newlines: bool) -> None:
        """Skip spaces and comments (and line breaks, where the grammar allows them)."""
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#":
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.advance()
            else:
                return

    def document(self) -> None:
        table = "$"
        while True:
            self.blank(newlines=True)
            if self.i >= len(self.text):
                return
            if self.peek(2) == "[[":
                self.advance(2)
                keys = self.key_path()
                base = self.resolve(keys[:-1])
                array = join_path(base, keys[-1][0])
                self.arrays[array] = self.arrays.get(array, 0) + 1
                table = join_path(array, self.arrays[array] - 1)
                self.keys.setdefault(array, keys[-1][1])
                self.keys[table] = keys[-1][1]
                self.expect("]]")
            elif self.peek() == "[":
                self.advance()
                keys = self.key_path()
                table = self.resolve(keys)
                self.keys.setdefault(table, keys[-1][1])
                self.expect("]")
            else:
                self.key_value(table)

    def resolve(self, keys: list[tuple[str, Position]]) -> str:
        """The path of a header's keys, each array of tables at its latest element."""
        path = "$"
        for key, _ in keys:
            path = join_path(path, key)
            if path in self.arrays:
                path = join_path(path, self.arrays[path] - 1)
        return path

    def expect(self, token: str) -> None:
        self.blank(newlines=False)
        if self.peek(len(token)) != token:
            raise _Stop
        self.advance(len(token))

    def key_path(self) -> list[tuple[str, Position]]:
        keys = []
        while True:
            self.blank(newlines=False)
            at = self.here()
            if self.peek() in "\"'":
                start = self.i
                self.string()
                key = _unquote(self.text[start : self.i])
            else:
                m = _BARE.match(self.text, self.i)
                if m is None:
                    raise _Stop
                key = m.group()
                self.advance(len(key))
            keys.append((key, at))
            self.blank(newlines=False)
            if self.peek() != ".":
                return keys
            self.advance()

    def key_value(self, table: str) -> None:
        keys = self.key_path()
        path = table
        for key, at in keys:
            path = join_path(path, key)
            self.keys.setdefault(path, at)
        self.expect("=")
        self.value(path)

    def value(self, path: str) -> None:
        self.blank(newlines=False)
        ch = self.peek()
        self.values[path] = self.here(quoted=ch in "\"'" and self.peek(3) not in ('"""', "'''"))
        if ch == "{":  # an inline table: on one line
            self.sequence("}", False, lambda _: self.key_value(path))
        elif ch == "[":
            self.sequence("]", True, lambda i: self.value(join_path(path, i)))
        elif ch in "\"'":
            self.string()
        else:
            while self.i < len(self.text) and self.text[self.i] not in _SCALAR_END:
                self.advance()

    def sequence(self, close: str, newlines: bool, item: Callable[[int], None]) -> None:
        """The items of an inline table or an array, separated by commas, up to ``close``."""
        self.advance()
        self.blank(newlines)
        index = 0
        while self.peek() != close:
            start = self.i
            item(index)
            index += 1
            self.blank(newlines)
            if self.i == start or self.i >= len(self.text):
                raise _Stop
            if self.peek() == ",":
                self.advance()
                self.blank(newlines)
        self.advance()

    def string(self) -> None:
        quote = self.peek(3) if self.peek(3) in ('"""', "'''") else self.peek()
        self.advance(len(quote))
        while self.i < len(self.text) and self.peek(len(quote)) != quote:
            self.advance(2 if quote[0] == '"' and self.peek() == "\\" else 1)
        self.advance(len(quote))
        while len(quote) == 3 and self.peek() == quote[0]:  # """a"""" ends with a quote
            self.advance()


def _unquote(text: str) -> str:
    """A quoted key as TOML reads it (escapes included)."""
    key: str = tomllib.loads(f"k = {text}")["k"]
    return key


def toml_positions(text: str) -> tuple[dict[str, Position], dict[str, Position]]:
    """Positions of the keys and values of a TOML text that ``tomllib`` parsed."""
    scanner = _Scanner(text)
    # the paths not reached are located at their nearest recorded parent
    with contextlib.suppress(_Stop, IndexError, tomllib.TOMLDecodeError):
        scanner.document()
    return scanner.keys, scanner.values
