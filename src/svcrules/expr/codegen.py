"""Expressions: the checked tree (`Expr`) rewritten into Python source for the compiler, and
evaluated directly for constant folding.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from svcrules.expr.functions import (
    _OPERATOR_FUNCTIONS,
    _OPERATORS,
    FN_PREFIX,
    FUNCTIONS,
    _to_decimal,
)


def _float_literal(text: str, node: ast.Constant) -> Decimal:
    """The exact decimal a float literal spells (`235.4`, `1e3`, `1_000.5`)."""
    segment = ast.get_source_segment(text, node)
    value: Any = node.value
    try:
        return Decimal(segment) if segment else _to_decimal(value)
    except InvalidOperation:
        return _to_decimal(value)


class _Emitter:
    """Builds the rewritten tree; every non-inline constant becomes a global named `prefix + n`."""

    def __init__(self, text: str, prefix: str) -> None:
        self.text, self.prefix = text, prefix
        self.names: dict[str, Any] = {}

    def constant_value(self, node: ast.expr) -> tuple[bool, Any]:
        """(True, value) for a literal the generated code can share between evaluations."""
        if isinstance(node, ast.Constant):
            value = node.value
            return True, _float_literal(self.text, node) if isinstance(value, float) else value
        if isinstance(node, ast.Tuple):
            values = [self.constant_value(elt) for elt in node.elts]
            if all(ok for ok, _ in values):
                return True, tuple(v for _, v in values)
        return False, None

    def hoist(self, value: Any) -> ast.expr:
        name = f"{self.prefix}{len(self.names)}"
        self.names[name] = value
        return ast.Name(name, ast.Load())

    def function(self, name: str, fn: Callable[..., Any]) -> ast.expr:
        self.names[FN_PREFIX + name] = fn
        return ast.Name(FN_PREFIX + name, ast.Load())

    def emit(self, node: ast.expr) -> ast.expr:  # noqa: C901 - a case per node kind: one match reads best
        match node:
            case ast.Constant(value=float()):
                return self.hoist(_float_literal(self.text, node))
            case ast.Constant():
                return ast.Constant(node.value)
            case ast.Tuple():
                ok, value = self.constant_value(node)
                if ok:
                    return self.hoist(value)
                return ast.Tuple([self.emit(e) for e in node.elts], ast.Load())
            case ast.List():
                return ast.List([self.emit(e) for e in node.elts], ast.Load())
            case ast.Name(id="params"):
                return ast.Name("P", ast.Load())
            case ast.Name():
                return _item(ast.Name("e", ast.Load()), node.id)
            case ast.Attribute():  # only params.a.b survives validation
                return _item(self.emit(node.value), node.attr)
            case ast.Subscript():
                return ast.Subscript(self.emit(node.value), self.emit(node.slice), ast.Load())
            case ast.BinOp():
                helper = _OPERATORS[type(node.op)]
                left, right = self.emit(node.left), self.emit(node.right)
                if helper is None or (helper == "add" and _number_literal(node)):
                    return ast.BinOp(left, node.op, right)
                func = self.function(helper, _OPERATOR_FUNCTIONS[helper])
                return ast.Call(func, [left, right], [])
            case ast.UnaryOp():
                return ast.UnaryOp(node.op, self.emit(node.operand))
            case ast.BoolOp():
                return ast.BoolOp(node.op, [self.emit(v) for v in node.values])
            case ast.Compare():
                comparators = [self.emit(c) for c in node.comparators]
                return ast.Compare(self.emit(node.left), node.ops, comparators)
            case ast.IfExp():
                test, body, orelse = (
                    self.emit(node.test),
                    self.emit(node.body),
                    self.emit(node.orelse),
                )
                return ast.IfExp(test, body, orelse)
            case ast.Call(func=ast.Name(id=name)):
                func = self.function(name, FUNCTIONS[name])
                return ast.Call(func, [self.emit(a) for a in node.args], [])
        raise AssertionError(f"unvalidated node {type(node).__name__}")  # pragma: no cover


def _number_literal(node: ast.BinOp) -> bool:
    """Whether an operand is a number literal: then `+` adds numbers (or fails), never
    concatenates, and stays a native operator on the hot path."""
    return any(
        isinstance(x, ast.Constant) and type(x.value) in (int, float)
        for x in (node.left, node.right)
    )


def _item(value: ast.expr, key: str) -> ast.expr:
    return ast.Subscript(value, ast.Constant(key), ast.Load())


_Compiled = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Expr:
    """A validated expression: its text, its tree and what it refers to."""

    text: str
    tree: ast.Expression
    fields: frozenset[str]
    params: frozenset[str]
    functions: frozenset[str]
    _compiled: list[_Compiled] = field(default_factory=list, init=False, repr=False, compare=False)

    def python(self, prefix: str) -> tuple[str, dict[str, Any]]:
        """Python source for this expression and the globals it needs.

        The source reads the event from the local `e` and params from the local `P`. Constants
        are globals named `prefix + n`; functions and operator helpers are the shared globals
        `_fn_<name>` (`_fn_min`, `_fn_div`, ...), the same object under the same name for every
        expression, so the dicts of several expressions with distinct prefixes merge cleanly.
        """
        if not (prefix + "0").isidentifier() or prefix.startswith(FN_PREFIX):
            raise ValueError(f"prefix {prefix!r} must start an identifier and not {FN_PREFIX!r}")
        emitter = _Emitter(self.text, prefix)
        body = ast.fix_missing_locations(ast.Expression(emitter.emit(self.tree.body)))
        return ast.unparse(body), emitter.names

    def fold(self, params: Mapping[str, Any]) -> Any:
        """The value of an expression that reads only params (constant folding at compile time).

        Its work is bounded like any evaluation's (every value it builds is capped, see
        `MAX_SEQUENCE`); running out of memory or stack is reported as a `ValueError`, so the
        compiler leaves the expression to event time, which reports it against the rule."""
        try:
            return self.evaluate({}, params)
        except (MemoryError, RecursionError) as exc:
            raise ValueError(f"expression too large to evaluate ({type(exc).__name__})") from None

    def evaluate(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
        """The expression's value on one event (ordinary exceptions on bad values)."""
        if not self._compiled:
            source, names = self.python("_c")
            scope: dict[str, Any] = {"__builtins__": {}, **names}
            with warnings.catch_warnings():  # `1 is None` or `1[0]` warn; they fail at run time
                warnings.simplefilter("ignore")
                code = compile(f"lambda e, P: ({source})", "<svcrules expr>", "eval")
            self._compiled.append(eval(code, scope))  # generated from the validated tree
        return self._compiled[0](event, params)
