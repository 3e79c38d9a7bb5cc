"""Test oracle: a plain tree-walking interpreter of a validated expression tree.

It shares nothing with the compiled path but the function library (`FUNCTIONS`) and the documented
bounds: operators, names, params and literals are interpreted here from the language definition
in docs/expressions.md, so compiled `Expr.evaluate` and `interpret` agreeing is evidence that the
rewrite and code generation are right.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from svcrules.expr import FUNCTIONS, MAX_POWER_BITS, MAX_SEQUENCE, Expr

__all__ = ["family", "interpret"]


def _exact(x: Any) -> Any:
    if isinstance(x, float):
        return Decimal(repr(x))
    if isinstance(x, int):
        return Decimal(x)
    return x


def _divide(a: Any, b: Any) -> Any:
    numbers = (int, float, Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return _exact(a) / _exact(b)
    return a / b


_SIZED = (str, bytes, list, tuple)


def _cells(x: Any) -> int:
    """A value's size as docs/expressions.md defines it: characters, bytes, or items plus the
    cells of the strings and lists held, counted each time they occur."""
    if isinstance(x, str | bytes):
        return len(x)
    if isinstance(x, list | tuple):
        return len(x) + sum(_cells(i) for i in x if isinstance(i, _SIZED))
    return 1


def _multiply(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if (
            isinstance(seq, _SIZED)
            and isinstance(n, int)
            and n > 0
            and (n > MAX_SEQUENCE or _cells(seq) * n > MAX_SEQUENCE)
        ):
            raise ValueError("value too large")
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SIZED) and _cells(a) + _cells(b) > MAX_SEQUENCE:
        raise ValueError("value too large")
    return a + b


def _power(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if b < 0:
            return Decimal(a) ** b
        if a.bit_length() * b > MAX_POWER_BITS:
            raise ValueError("integer too large")
    return a**b


def _modulo(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise TypeError("no string formatting")
    return a % b


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _multiply,
    ast.Div: _divide,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _modulo,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def interpret(expr: Expr, event: Mapping[str, Any], params: Mapping[str, Any]) -> Any:  # noqa: C901 - its walker
    """Evaluate `expr` by walking its validated tree."""

    def run(node: ast.expr) -> Any:  # noqa: C901 - a case per node kind: one match reads best
        match node:
            case ast.Constant(value=float()):
                return Decimal(ast.get_source_segment(expr.text, node) or repr(node.value))
            case ast.Constant():
                return node.value
            case ast.Name(id="params"):
                return params
            case ast.Name():
                return event[node.id]
            case ast.Attribute():
                return run(node.value)[node.attr]
            case ast.Subscript():
                return run(node.value)[run(node.slice)]
            case ast.List():
                return [run(e) for e in node.elts]
            case ast.Tuple():
                return tuple(run(e) for e in node.elts)
            case ast.BinOp():
                return _BINARY[type(node.op)](run(node.left), run(node.right))
            case ast.UnaryOp():
                return _UNARY[type(node.op)](run(node.operand))
            case ast.BoolOp(op=ast.And()):
                value: Any = True
                for part in node.values:
                    value = run(part)
                    if not value:
                        return value
                return value
            case ast.BoolOp():
                value = False
                for part in node.values:
                    value = run(part)
                    if value:
                        return value
                return value
            case ast.Compare():
                left = run(node.left)
                for op, comparator in zip(node.ops, node.comparators, strict=True):
                    right = run(comparator)
                    if not _COMPARE[type(op)](left, right):
                        return False
                    left = right
                return True
            case ast.IfExp():
                return run(node.body) if run(node.test) else run(node.orelse)
            case ast.Call(func=ast.Name(id=name)):
                return FUNCTIONS[name](*[run(a) for a in node.args])
        raise AssertionError(f"not a validated node: {ast.dump(node)}")

    return run(expr.tree.body)


def family(exc: BaseException) -> type[BaseException]:
    """The class of error the engine cares about (ZeroDivisionError and InvalidOperation alike)."""
    for kind in (ArithmeticError, LookupError, TypeError, ValueError):
        if isinstance(exc, kind):
            return kind
    return type(exc)
