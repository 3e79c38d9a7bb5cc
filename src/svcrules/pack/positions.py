"""Sources: positions in a pack file: where each JSON path starts (``Document``), and where a
character of a string scalar's value is written.

A block scalar (``when: |`` or ``when: >``), a scalar over several lines or one with escapes is
not its value character for character: the header line, indentation, folded line breaks, quotes
and backslashes come between. The value is aligned with the written text, character by
character, so that an expression diagnostic at offset N of the value points at the line and
column where that character is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from svcrules.diagnostics import Diagnostic

_SKIPPED = frozenset(" \t\r\n'\"\\")
"""What the written text may hold that the value does not: indentation, line breaks, quotes
and escape backslashes."""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a scalar is written: its start and end (1-based, end exclusive) and its style."""

    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None
    value: str


def position_in(text: str, span: Span, offset: int) -> tuple[int, int] | None:
    """1-based ``(line, column)`` of the value's character at 0-based ``offset``, or ``None`` when
    the written text cannot be aligned with the value (an escape such as ``\\t`` or ``\\u00e9``)."""
    if not 0 <= offset < len(span.value):
        return None
    lines = text.split("\n")
    line, col = span.line - 1, span.column - 1
    if span.style in ("|", ">"):
        line, col = line + 1, 0  # past the header line (`|-`, `>2`, a comment)
    end = (span.end_line - 1, span.end_column - 1)
    for i, ch in enumerate(span.value[: offset + 1]):
        while True:
            if (line, col) >= end or line >= len(lines):
                return None
            written = lines[line][col] if col < len(lines[line]) else "\n"
            if written == ch or (ch in " \n" and written in " \t\r\n"):
                if i == offset:
                    return line + 1, col + 1
                line, col = (line + 1, 0) if written == "\n" else (line, col + 1)
                break
            if written not in _SKIPPED:
                return None
            line, col = (line + 1, 0) if written == "\n" else (line, col + 1)
    return None  # pragma: no cover - the loop returns at `offset`


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int
    quoted: bool = False
    span: Span | None = None
    """For a string written over several lines, as a block scalar or with escapes: where it
    ends and what it holds, so a character of it can be found in the file."""


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data read from one file, with where each JSON path starts (keys and values)."""

    data: Any
    file: str | None
    keys: Mapping[str, Position] = field(default_factory=dict)
    values: Mapping[str, Position] = field(default_factory=dict)
    text: str | None = None
    """The text the document was read from (YAML and JSON), for positions inside scalars."""

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        """Fill in ``file:line:col`` for a diagnostic from the nearest known enclosing path.

        Expression diagnostics carry a column inside the expression text; it is shifted to the
        column of the scalar in the file.
        """
        if diagnostic.line is not None:
            return diagnostic
        path = diagnostic.path
        inner_col = diagnostic.column
        if inner_col is not None and path in self.values:
            at = self.values[path]
            found = (
                position_in(self.text, at.span, inner_col - 1)
                if at.span is not None and self.text is not None
                else None
            )
            if found is not None:
                return replace(diagnostic, file=self.file, line=found[0], column=found[1])
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
