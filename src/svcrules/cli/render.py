"""Command line: rendering for people: escaped text (no control characters from packs or events
reach the terminal) and tables."""

from __future__ import annotations

import sys
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


def _table_rows(index: str, item: Any, result: Decision | Rejection) -> list[tuple[str, ...]]:
    etype = str(item.get("type", "?")) if isinstance(item, dict) else "?"
    eid = result.event_id or "-"
    if isinstance(result, Rejection):
        d = result.error.diagnostics[0]
        return [(index, eid, etype, f"REJECTED {d.code} {d.path}: {d.message}")]
    lines = []
    for dl in result.deadlines:
        due = f"{dl.due_date} (end of day)" if dl.unit in DAY_UNITS else dl.due.isoformat()
        lines.append(f"deadline {dl.clock} due {due} ({dl.severity}) [{dl.rule}]")
    for v in result.violations:
        lines.append(f"violation {v.message}: {v.observed} vs {v.limit} ({v.severity}) [{v.rule}]")
    for de in result.deductions:
        lines.append(f"deduct {de.points} from {de.subject} ({de.period}) [{de.rule}]")
    for es in result.escalations:
        lines.append(f"escalate to {es.to} level {es.level} [{es.rule}]")
    for sg in result.signals:
        lines.append(f"{sg.action} clock {sg.clock} [{sg.rule}]")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    if not lines:
        lines = ["-"]
    rows: list[tuple[str, ...]] = [(index, eid, etype, lines[0])]
    return rows + [("", "", "", rest) for rest in lines[1:]]


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    rows = [[printable(c) for c in r] for r in rows]  # cells echo pack and event strings
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=False)] + [r[-1]]
        print("  ".join(cells).rstrip())


def _usage(message: str) -> int:
    print(f"svcrules: error: {message}", file=sys.stderr)
    return 2
