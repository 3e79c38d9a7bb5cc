"""Command line: JSON Lines input read as bytes, one event per line, every bad line a rejection of
its own (never the end of the batch)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import IO, Any

from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError
from svcrules.limits import (
    MAX_DEPTH,
    MAX_EVENT_BYTES,
    NumberTooLarge,
    bracket_depth,
    json_constant,
    json_float,
    json_int,
)


def _read_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Numbered raw lines, each read with a bound: a line longer than MAX_EVENT_BYTES is
    skipped to its end without being held in memory, and given as ``None``."""
    lineno = 0
    while True:
        line = stream.readline(MAX_EVENT_BYTES + 1)
        if not line:
            return
        lineno += 1
        if len(line) > MAX_EVENT_BYTES and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
            yield lineno, None
        else:
            yield lineno, line


def _read_events(stream: IO[bytes]) -> Iterator[Any]:
    """One parsed event, or the ``EventError`` that rejects its line, per non-blank line: a bad
    line never stops the batch."""
    for lineno, raw in _read_lines(stream):
        if raw is None:
            yield _line_error(
                "event.too-large", f"line {lineno}: longer than {MAX_EVENT_BYTES} bytes"
            )
            continue
        if not raw.strip():
            continue
        yield parse_event_line(raw, lineno)


def _line_error(code: str, message: str, column: int | None = None) -> EventError:
    return EventError([Diagnostic(code, message, column=column)])


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_event_line(raw: bytes, lineno: int) -> Any:
    """A JSON Lines line as an event, or an ``EventError``: invalid UTF-8, nesting deeper than
    MAX_DEPTH, a lone surrogate (``"\\ud800"``) and numbers out of bounds are refused before or
    while parsing, never after building something huge."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _line_error(
            "event.bad-json",
            f"line {lineno}: not UTF-8 (byte {exc.start + 1}: {exc.reason})",
            exc.start + 1,
        )
    if bracket_depth(text) > MAX_DEPTH:
        return _line_error("event.bad-json", f"line {lineno}: nested deeper than {MAX_DEPTH}")
    try:
        value = json.loads(
            text, parse_float=json_float, parse_int=json_int, parse_constant=json_constant
        )
    except json.JSONDecodeError as exc:
        return _line_error("event.bad-json", f"line {lineno}: {exc.msg}", exc.colno)
    except NumberTooLarge as exc:
        return _line_error("event.bad-value", f"line {lineno}: {exc}")
    except RecursionError:  # pragma: no cover - bracket_depth refuses such lines first
        return _line_error("event.bad-json", f"line {lineno}: nested too deep")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        return _line_error(
            "event.bad-json", f"line {lineno}: a \\u escape gives a lone surrogate, not text"
        )
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def parse_params(items: Sequence[str]) -> dict[str, Any] | str:
    """``--param NAME=JSON`` values (plain text when not JSON), or the usage error."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            return f"--param takes NAME=JSON, got {item!r}"
        try:
            params[name] = json.loads(
                value, parse_float=json_float, parse_int=json_int, parse_constant=json_constant
            )
        except json.JSONDecodeError:
            params[name] = value
        except NumberTooLarge as exc:
            return f"--param {name}: {exc}"
    return params
