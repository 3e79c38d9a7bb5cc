"""Expressions: what a bare name in an expression may mean (an event field, a keyword field written
``class_``) and the hints for names that mean nothing."""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import tokenize
from collections.abc import Collection
from typing import Final

_NOT_FIELDS: Final = frozenset({"True", "False", "None"})


def keyword_field(name: str) -> str | None:
    """The field a name spelled ``KEYWORD_`` stands for (``class_`` → ``class``), or None.

    A field whose name is a Python keyword cannot be written as a bare name (``class == 'x'`` does
    not parse), so expressions write it with a trailing underscore."""
    base = name[:-1]
    if name.endswith("_") and keyword.iskeyword(base) and base not in _NOT_FIELDS:
        return base
    return None


def spelling(field: str) -> str:
    """How an expression writes a field: its name, or ``NAME_`` for a Python keyword."""
    return field + "_" if keyword.iskeyword(field) and field not in _NOT_FIELDS else field


def resolve_field(name: str, fields: Collection[str] | None) -> str:
    """The field a bare name reads: ``X_`` is the keyword field ``X`` unless ``X_`` is itself a
    field (without a field list, a keyword spelling always means the keyword field)."""
    real = keyword_field(name)
    if real is None or (fields is not None and name in fields):
        return name
    return real


def _keyword_hint(body: str, fields: Collection[str] | None) -> str | None:
    """For a syntax error: a hint if the text uses a keyword field's bare name (``class``)."""
    if not fields:
        return None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(body).readline):
            if tok.type == tokenize.NAME and tok.string in fields and keyword.iskeyword(tok.string):
                return f"the field `{tok.string}` is a Python keyword: write it `{tok.string}_`"
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _hint(name: str, candidates: Collection[str], prefix: str = "") -> str | None:
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1)
    return f"did you mean `{prefix}{close[0]}`?" if close else None


def _describe(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _literal_exponent(node: ast.expr) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal_exponent(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None
