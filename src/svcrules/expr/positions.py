"""Expressions: positions in an expression's text (lines, columns in characters, nesting depth) so
that every diagnostic points at the right place, before and after parsing."""

from __future__ import annotations

import ast
import io
import re
import tokenize

from svcrules.expr.functions import (
    MAX_DEPTH,
)

_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Lines:
    """Turns `ast` positions (line, UTF-8 byte column) into 1-based character offsets."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.text = text

    def line(self, lineno: int) -> str:
        i = min(max(lineno, 1), len(self.starts)) - 1
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[i] : end]

    def column(self, lineno: int, byte_col: int) -> int:
        prefix = self.line(lineno).encode()[:byte_col].decode(errors="ignore")
        return self.starts[min(max(lineno, 1), len(self.starts)) - 1] + len(prefix) + 1

    def char_column(self, lineno: int, char_col: int) -> int:
        return self.starts[min(max(lineno, 1), len(self.starts)) - 1] + max(char_col, 1)


def _bracket_depth(text: str) -> int | None:
    """Offset (0-based) of the first bracket nested deeper than MAX_DEPTH, or None.

    Run before `ast.parse` so that `((((...))))` is refused without exercising the parser's own
    recursion; strings and comments are skipped roughly (a wrong guess only means a syntax error).
    """
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                return i
        elif ch in ")]}":
            depth -= 1
        elif ch == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
        elif ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote) - 1
        i += 1
    return None


def flatten_lines(text: str) -> str:
    """``text`` on one logical line, every character where it was: line breaks (and a ``\\``
    continuation) outside string literals become spaces, comments become spaces.

    So an expression written over several lines (``when: |``) parses in ``eval`` mode, and a
    position in the flattened text is the same character offset in the written one. String
    literals are kept as written (a triple-quoted one may hold a line break); a text whose
    quotes do not close is returned with only what precedes them flattened, and the parser
    reports it."""
    if "\n" not in text and "\r" not in text and "#" not in text:
        return text
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\r\n" or (ch == "\\" and i + 1 < n and text[i + 1] in "\r\n"):
            out[i] = " "
        elif ch == "#":
            while i < n and text[i] not in "\r\n":
                out[i] = " "
                i += 1
            continue
        elif ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if len(quote) == 1 and text[i] in "\r\n":
                    break  # an unclosed literal: leave the rest to the parser
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        i += 1
    return "".join(out)


def _raw_cr_in_string(body: str) -> int | None:
    """Offset of the first raw CR inside a string literal, or None.

    Python's tokenizer turns a raw CR (or CRLF) inside a triple-quoted literal into LF: the value
    would differ from the text written, so such a literal is refused (an escaped ``\\r`` is
    kept). Only run on text that contains a CR; a text that does not tokenize is left to
    ``ast.parse`` to report."""
    lines = _Lines(body)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(body, newline="").readline):
            if tok.type == tokenize.STRING and "\r" in tok.string:
                start = lines.starts[tok.start[0] - 1] + tok.start[1]
                return body.index("\r", start)
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _depth_violation(tree: ast.Expression) -> ast.expr | None:
    """The first sub-expression nested deeper than MAX_DEPTH (iterative: any depth is safe)."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr) and depth > MAX_DEPTH:
            return node
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + isinstance(child, ast.expr)))
    return None


def _shift(tree: ast.Expression, lead: str) -> None:
    """Move positions of a tree parsed from `text.lstrip()` back to where they are in `text`."""
    lines = _NEWLINE.split(lead)
    extra_lines, cols = len(lines) - 1, len(lines[-1])
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr):
            continue
        if node.lineno == 1:
            node.col_offset += cols
        if node.end_lineno == 1 and node.end_col_offset is not None:
            node.end_col_offset += cols
        node.lineno += extra_lines
        if node.end_lineno is not None:
            node.end_lineno += extra_lines


def _syntax_column(body: str, exc: SyntaxError, lead: int) -> int:
    if exc.lineno is None or not exc.offset:  # the parser ran out of input: point past the end
        return lead + len(body) + 1
    return lead + _Lines(body).char_column(exc.lineno, exc.offset)
