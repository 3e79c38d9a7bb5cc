"""Diagnostics: the leaf of the pipeline; every stage reports problems as `Diagnostic` values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from svcrules.hints import HINTS

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""Plain JSON data: what every ``to_dict()`` returns (``json.dumps`` writes it as it is)."""
JSONObject: TypeAlias = "dict[str, JSONValue]"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a pack or an event.

    ``code`` is stable and documented in ``docs/errors.md``; ``path`` is a JSON path into the
    pack or event (``$.rules[2].deadline.within``); ``file``/``line``/``column`` are 1-based and
    ``None`` where the format gives no position (mappings, events). Without a specific
    ``hint``, a pack or case code gets its general fix (``svcrules.hints``).
    """

    code: str
    message: str
    path: str = "$"
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    rule: str | None = field(default=None)

    def __post_init__(self) -> None:
        if self.hint is None and self.code in HINTS:
            object.__setattr__(self, "hint", HINTS[self.code])

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.path, self.code)

    def location(self) -> str:
        """``file:line:col`` with the parts the format knows (``<input>`` when no file)."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def render(self) -> str:
        """``file:line:col: error[code] path: message`` (and the hint on a second line)."""
        text = f"{self.location()}: error[{self.code}] {self.path}: {self.message}"
        if self.rule:
            text += f" (rule {self.rule})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> JSONObject:
        return {
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "rule": self.rule,
        }


def join_path(base: str, *parts: str | int) -> str:
    """Extend a JSON path: ``join_path("$.rules", 2, "when") == "$.rules[2].when"``."""
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += "[" + repr(part).replace("'", '"') + "]"
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``did you mean 'X'?`` for the closest of ``choices``, or None when none is close."""
    close = difflib.get_close_matches(word, sorted(map(str, choices)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
