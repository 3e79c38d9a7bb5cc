"""Command line: rendering for people: escaped text (no control characters from packs or events
reach the terminal) and tables."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from svcrules.errors import SvcrulesError
from svcrules.runtime import DAY_UNITS, Decision, Rejection

_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and other invisible characters (ESC,
    newlines, bidi overrides) escaped as ``\\x1b``, ``\\n``, ``\\u202e``; other text as is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    named = _NAMED_ESCAPES.get(c)
    if named is not None:
        return named
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _printable_lines(text: str) -> str:
    """Multi-line text made safe line by line (its own line breaks kept)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _render(exc: SvcrulesError) -> str:
    """Diagnostics as text for a terminal: messages echo pack and event strings."""
    out = []
    for d in exc.diagnostics:
        safe = replace(
            d,
            message=printable(d.message),
            path=printable(d.path),
            file=None if d.file is None else printable(d.file),
            hint=None if d.hint is None else printable(d.hint),
            rule=None if d.rule is None else printable(d.rule),
        )
        out.append(safe.render())
    return "\n".join(out)


Line = tuple[str, str]
"""One outcome line of a table: (the pack it came from, its text)."""


def table_header(with_pack: bool) -> tuple[str, ...]:
    """The events' table header; a PACK column when several packs are loaded."""
    return (
        ("#", "EVENT", "TYPE", "PACK", "OUTCOME")
        if with_pack
        else ("#", "EVENT", "TYPE", "OUTCOME")
    )


def event_rows(
    index: str, item: Any, event_id: str | None, lines: Sequence[Line], with_pack: bool
) -> list[tuple[str, ...]]:
    """Rows of one event: its index, id and type on the first, one outcome per row."""
    etype = str(item.get("type", "?")) if isinstance(item, dict) else "?"
    head = (index, event_id or "-", etype)
    rows: list[tuple[str, ...]] = []
    for pack, text in lines or [("-", "-")]:  # `-`: the event produced nothing visible
        rows.append((*head, pack, text) if with_pack else (*head, text))
        head = ("", "", "")
    return rows


def rejection_line(result: Rejection) -> Line:
    d = result.error.diagnostics[0]
    return ("-", f"REJECTED {d.code} {d.path}: {d.message}")


def _table_rows(
    index: str, item: Any, result: Decision | Rejection, with_pack: bool = False
) -> list[tuple[str, ...]]:
    if isinstance(result, Rejection):
        return event_rows(index, item, result.event_id, [rejection_line(result)], with_pack)
    lines: list[Line] = []
    for dl in result.deadlines:
        due = f"{dl.due_date} (end of day)" if dl.unit in DAY_UNITS else dl.due.isoformat()
        lines.append((dl.pack, f"deadline {dl.clock} due {due} ({dl.severity}) [{dl.rule}]"))
    for v in result.violations:
        text = f"violation {v.message}: {v.observed} vs {v.limit} ({v.severity}) [{v.rule}]"
        lines.append((v.pack, text))
    for de in result.deductions:
        lines.append((de.pack, f"deduct {de.points} from {de.subject} ({de.period}) [{de.rule}]"))
    for es in result.escalations:
        lines.append((es.pack, f"escalate to {es.to} level {es.level} [{es.rule}]"))
    for sg in result.signals:
        lines.append((sg.pack, f"{sg.action} clock {sg.clock} [{sg.rule}]"))
    lines += [("-", f"warning: {w}") for w in result.warnings]
    return event_rows(index, item, result.event_id, lines, with_pack)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and fullwidth characters (``W``,
    ``F``: Chinese, Japanese, Korean, fullwidth forms) take two, combining marks none, the rest
    one. ``text`` is already :func:`printable` (no control characters)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(c: str) -> int:
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as aligned text lines: every column but the last padded to its widest cell, counted
    in terminal columns (a Chinese character takes two), two spaces between columns."""
    cells = [[printable(c) for c in r] for r in rows]  # cells echo pack and event strings
    sized = [[(c, display_width(c)) for c in r] for r in cells]
    widths = [max(r[i][1] for r in sized) for i in range(len(sized[0]) - 1)]
    out = []
    for r in sized:
        padded = [c + " " * (w - n) for (c, n), w in zip(r, widths, strict=False)]
        out.append("  ".join([*padded, r[-1][0]]).rstrip())
    return out


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    for line in table_lines(rows):
        print(line)


def _usage(message: str) -> int:
    print(f"svcrules: error: {message}", file=sys.stderr)
    return 2
