"""Expressions: the safe expression language that `checks` validates and `compiler` pastes into its
generated Python (parse with `ast`, check against an allow-list, rewrite, compile)."""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final

from svcrules.diagnostics import Diagnostic
from svcrules.errors import PackError

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INT",
    "MAX_ITEMS",
    "MAX_LENGTH",
    "MAX_POWER_BITS",
    "MAX_SEQUENCE",
    "MAX_STRING",
    "Expr",
    "parse_expr",
]

MAX_LENGTH: Final = 2000
"""Longest expression text, in characters."""
MAX_DEPTH: Final = 32
"""Deepest nesting of sub-expressions (and of brackets, checked before parsing)."""
MAX_STRING: Final = 1000
"""Longest string literal."""
MAX_INT: Final = 10**18
"""Largest magnitude of a number literal."""
MAX_EXPONENT: Final = 64
"""Largest magnitude of the literal exponent `**` takes."""
MAX_ITEMS: Final = 256
"""Most elements in a list or tuple display, and most arguments in a call."""
MAX_SEQUENCE: Final = 10_000
"""Longest string, list or tuple that `*` may build at event time."""
MAX_POWER_BITS: Final = 8192
"""Largest integer (in bits) that `**` may build at event time."""


# --- the runtime: what generated code calls ------------------------------------------------------
# Operators that could build huge values or run hidden code (`%` formats strings) go through these
# helpers; the others stay native Python operators, which are fast and safe on bounded inputs.

_Number = (int, Decimal, float)


def _to_decimal(x: int | Decimal | float) -> Decimal:
    # repr() of a float is its shortest round-tripping text: 0.1, not 0.1000000000000000055...
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def _op_div(a: Any, b: Any) -> Any:
    """`a / b`: exact decimal division for numbers (7 / 2 == Decimal("3.5")), native otherwise."""
    if isinstance(a, _Number) and isinstance(b, _Number):
        return _to_decimal(a) / _to_decimal(b)
    return a / b


def _op_mul(a: Any, b: Any) -> Any:
    """`a * b`, refusing to repeat a string or list past `MAX_SEQUENCE` items."""
    for seq, n in ((a, b), (b, a)):
        if (
            isinstance(seq, str | list | tuple)
            and isinstance(n, int)
            and len(seq) * n > MAX_SEQUENCE
        ):
            raise ValueError(f"`*` would build a sequence longer than {MAX_SEQUENCE}")
    return a * b


def _op_pow(a: Any, b: Any) -> Any:
    """`a ** b`: the validator allows only literal int exponents; here the size is bounded."""
    if isinstance(a, int) and isinstance(b, int):
        if b < 0:  # keep exact: 2 ** -1 is Decimal("0.5"), never a float
            return Decimal(a) ** b
        if a.bit_length() * b > MAX_POWER_BITS:
            raise ValueError(f"`**` would build an integer larger than {MAX_POWER_BITS} bits")
    return a**b


def _op_mod(a: Any, b: Any) -> Any:
    """`a % b` on numbers only: on a string `%` would be printf-style formatting."""
    if isinstance(a, str | bytes):
        raise TypeError("`%` on a string (formatting) is not part of the expression language")
    return a % b


def _check_decimal_size(x: Any) -> None:
    # int(Decimal("1e999999")) would build a million-digit integer
    if isinstance(x, Decimal) and x.is_finite() and x.adjusted() > 4300:
        raise ValueError("number too large to convert to an integer")


def _fn_round(x: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        _check_decimal_size(x)
        return round(x)
    if not isinstance(ndigits, int) or abs(ndigits) > MAX_EXPONENT:
        raise ValueError(
            f"round() takes a number of digits between -{MAX_EXPONENT} and {MAX_EXPONENT}"
        )
    return round(x, ndigits)


def _fn_int(x: Any) -> int:
    _check_decimal_size(x)
    if not isinstance(x, int | Decimal | float | str):
        raise TypeError(f"int() of {type(x).__name__}")
    return int(x)


def _fn_str(x: Any) -> str:
    return str(x)


_MAX_DURATION: Final = Decimal(10**12)


def _duration(unit_microseconds: int) -> Callable[[Any], timedelta]:
    def make(n: Any) -> timedelta:
        if isinstance(n, bool) or not isinstance(n, int | Decimal):
            raise TypeError(f"a duration takes an int or a decimal, not {type(n).__name__}")
        amount = Decimal(n)
        if not amount.is_finite() or abs(amount) > _MAX_DURATION:  # past timedelta's range
            raise OverflowError("duration out of range")
        micro = (amount * unit_microseconds).to_integral_value()
        return timedelta(microseconds=int(micro))

    return make


def _fn_date(x: Any) -> date:
    if isinstance(x, datetime):
        return x.date()  # the date in the datetime's own offset
    if isinstance(x, date):
        return x
    raise TypeError(f"date() takes a datetime or a date, not {type(x).__name__}")


def _strings(text: Any, items: Any, fn: str) -> tuple[str, list[str]]:
    if not isinstance(text, str):
        raise TypeError(f"{fn}() takes a string first, not {type(text).__name__}")
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise TypeError(f"{fn}() takes a list of strings second")
    return text, list(items)


def _fn_contains_any(text: Any, items: Any) -> bool:
    """Whether any of the strings in `items` occurs in `text`."""
    s, words = _strings(text, items, "contains_any")
    return any(w in s for w in words)


def _fn_count_of(text: Any, items: Any) -> int:
    """How many of the strings in `items` occur in `text` (each counted once)."""
    s, words = _strings(text, items, "count_of")
    return sum(1 for w in words if w in s)


FUNCTIONS: Final[Mapping[str, Callable[..., Any]]] = MappingProxyType(
    {
        "abs": abs,
        "contains_any": _fn_contains_any,
        "count_of": _fn_count_of,
        "date": _fn_date,
        "days": _duration(86_400_000_000),
        "hours": _duration(3_600_000_000),
        "int": _fn_int,
        "len": len,
        "max": max,
        "min": min,
        "minutes": _duration(60_000_000),
        "round": _fn_round,
        "str": _fn_str,
    }
)
"""The allow-list of functions an expression may call, name -> implementation."""

_ARITY: Final[Mapping[str, tuple[int, int]]] = {
    "abs": (1, 1),
    "contains_any": (2, 2),
    "count_of": (2, 2),
    "date": (1, 1),
    "days": (1, 1),
    "hours": (1, 1),
    "int": (1, 1),
    "len": (1, 1),
    "max": (1, MAX_ITEMS),
    "min": (1, MAX_ITEMS),
    "minutes": (1, 1),
    "round": (1, 2),
    "str": (1, 1),
}

_OPERATORS: Final[Mapping[type[ast.operator], str | None]] = {
    ast.Add: None,  # None: stays a native operator
    ast.Sub: None,
    ast.FloorDiv: None,
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.Mod: "mod",
}
_OPERATOR_FUNCTIONS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "div": _op_div,
    "mul": _op_mul,
    "pow": _op_pow,
    "mod": _op_mod,
}
_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_UNARY = (ast.USub, ast.UAdd, ast.Not)

_REFUSED: Final[Mapping[type[ast.AST], str]] = {
    ast.Dict: "dict displays ({...: ...})",
    ast.Set: "set displays ({...})",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Lambda: "lambdas",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Starred: "starred expressions (*x)",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Slice: "slices (x[a:b])",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

FN_PREFIX: Final = "_fn_"
"""Generated code calls function `f` (and the operator helpers div, mul, pow, mod) as `_fn_f`."""


# --- positions -----------------------------------------------------------------------------------

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


# --- validation ----------------------------------------------------------------------------------


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


def _float_literal(text: str, node: ast.Constant) -> Decimal:
    """The exact decimal a float literal spells (`235.4`, `1e3`, `1_000.5`)."""
    segment = ast.get_source_segment(text, node)
    value: Any = node.value
    try:
        return Decimal(segment) if segment else _to_decimal(value)
    except InvalidOperation:
        return _to_decimal(value)


class _Checker:
    """Walks a parsed tree once and collects every problem (the tree is at most MAX_DEPTH deep)."""

    def __init__(
        self,
        text: str,
        path: str,
        fields: Collection[str] | None,
        params: Mapping[str, Any] | None,
    ) -> None:
        self.text, self.path, self.known_fields, self.known_params = text, path, fields, params
        self.lines = _Lines(text)
        self.problems: list[Diagnostic] = []
        self.fields: set[str] = set()
        self.params: set[str] = set()
        self.functions: set[str] = set()

    def report(
        self,
        code: str,
        message: str,
        node: ast.expr,
        *,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        column = col if col is not None else self.lines.column(node.lineno, node.col_offset)
        self.problems.append(Diagnostic(code, message, self.path, column=column, hint=hint))

    def attr_column(self, node: ast.Attribute) -> int:
        # `ast` gives the start of the whole `value.attr`; point at the attribute name itself
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        line = node.end_lineno if node.end_lineno is not None else node.lineno
        return self.lines.column(line, end - len(node.attr.encode()))

    def visit(self, node: ast.expr) -> None:
        match node:
            case ast.Constant():
                self.constant(node)
            case ast.Name():
                self.name(node)
            case ast.Attribute():
                self.attribute(node)
            case ast.Subscript():
                self.subscript(node)
            case ast.BinOp():
                self.binop(node)
            case ast.UnaryOp():
                if not isinstance(node.op, _UNARY):
                    self.report("expr.operator", "operator `~` is not allowed", node)
                self.visit(node.operand)
            case ast.BoolOp():
                for value in node.values:
                    self.visit(value)
            case ast.Compare():
                self.compare(node)
            case ast.IfExp():
                self.visit(node.test)
                self.visit(node.body)
                self.visit(node.orelse)
            case ast.Call():
                self.call(node)
            case ast.List() | ast.Tuple():
                if len(node.elts) > MAX_ITEMS:
                    self.report(
                        "expr.too-large",
                        f"a list has {len(node.elts)} elements; at most {MAX_ITEMS} are allowed",
                        node,
                        hint="move long lists into `params`",
                    )
                for elt in node.elts:
                    self.visit(elt)
            case _:
                what = _REFUSED.get(type(node), type(node).__name__)
                self.report(
                    "expr.construct", f"{what} are not part of the expression language", node
                )

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, int | float):
            number = _float_literal(self.text, node) if isinstance(value, float) else Decimal(value)
            if not abs(number) <= MAX_INT:
                self.report(
                    "expr.too-large",
                    f"number literal {_describe(node)} is larger than 10**18",
                    node,
                )
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                self.report(
                    "expr.too-large",
                    f"string literal of {len(value)} characters; at most {MAX_STRING} are allowed",
                    node,
                    hint="move long texts into `params`",
                )
        else:
            kind = {bytes: "bytes", complex: "complex numbers"}.get(type(value), "`...`")
            self.report("expr.literal", f"{kind} are not part of the expression language", node)

    def name(self, node: ast.Name) -> None:
        name = node.id
        if name == "params":
            return
        if name.startswith("_"):
            self.report("expr.private-name", f"names starting with `_` are refused: `{name}`", node)
        elif self.known_fields is not None and name not in self.known_fields:
            hint = _hint(name, self.known_fields)
            if hint is None and self.known_params is not None and name in self.known_params:
                hint = f"did you mean `params.{name}`?"
            if name in FUNCTIONS:
                hint = f"`{name}` is a function: call it, `{name}(...)`"
            self.report(
                "expr.unknown-name", f"`{name}` is not a field of the event", node, hint=hint
            )
        else:
            self.fields.add(name)

    def attribute(self, node: ast.Attribute) -> None:
        chain: list[ast.Attribute] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            chain.append(base)
            base = base.value
        chain.reverse()
        private = [a for a in chain if a.attr.startswith("_")]
        for a in private:
            self.report(
                "expr.private-name",
                f"attributes starting with `_` are refused: `{a.attr}`",
                a,
                col=self.attr_column(a),
            )
        if isinstance(base, ast.Name) and base.id == "params":
            if not private:
                self.param_path([a.attr for a in chain], chain)
            return
        if not private:
            self.report(
                "expr.attribute",
                f"attribute access `.{chain[0].attr}` is only allowed on `params`",
                chain[0],
                col=self.attr_column(chain[0]),
                hint="fields are plain names (`area`); params are `params.NAME`",
            )
        self.visit(base)

    def param_path(self, names: list[str], nodes: Sequence[ast.expr]) -> None:
        self.params.add(names[0])
        current: Any = self.known_params
        if current is None:
            return
        for i, (name, at) in enumerate(zip(names, nodes, strict=True)):
            col = self.attr_column(at) if isinstance(at, ast.Attribute) else None
            where = "params." + ".".join(names[:i])
            if not isinstance(current, Mapping):
                self.report(
                    "expr.unknown-param",
                    f"`{where}` is a {type(current).__name__}, not a mapping with key `{name}`",
                    at,
                    col=col,
                )
                return
            if name not in current:
                self.report(
                    "expr.unknown-param",
                    f"`{where}.{name}` is not defined" if i else f"`params.{name}` is not defined",
                    at,
                    col=col,
                    hint=_hint(
                        name, list(current), "params." + "".join(f"{n}." for n in names[:i])
                    ),
                )
                return
            current = current[name]

    def subscript(self, node: ast.Subscript) -> None:
        key = node.slice
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == "params"
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            if key.value.startswith("_"):
                self.report("expr.private-name", "params starting with `_` are refused", key)
            else:
                self.param_path([key.value], [key])
            return
        self.visit(node.value)
        self.visit(key)

    def binop(self, node: ast.BinOp) -> None:
        if type(node.op) not in _OPERATORS:
            self.report(
                "expr.operator",
                f"operator {type(node.op).__name__} is not allowed",
                node,
                hint="arithmetic is + - * / // % ** only",
            )
        if isinstance(node.op, ast.Pow):
            exponent = _literal_exponent(node.right)
            if exponent is None or abs(exponent) > MAX_EXPONENT:
                self.report(
                    "expr.exponent",
                    f"`**` takes a literal integer exponent between -{MAX_EXPONENT} and "
                    f"{MAX_EXPONENT}, not `{_describe(node.right)}`",
                    node.right,
                )
        self.visit(node.left)
        self.visit(node.right)

    def compare(self, node: ast.Compare) -> None:
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                if not any(isinstance(x, ast.Constant) and x.value is None for x in (left, right)):
                    self.report(
                        "expr.compare",
                        "`is` and `is not` compare only with `None`",
                        right,
                        hint="use `==` / `!=` to compare values",
                    )
            elif not isinstance(op, _COMPARISONS):
                self.report("expr.compare", f"comparison {type(op).__name__} is not allowed", right)
            left = right
        self.visit(node.left)
        for comparator in node.comparators:
            self.visit(comparator)

    def call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in FUNCTIONS:
            name = func.id
            self.functions.add(name)
            low, high = _ARITY[name]
            if node.keywords:
                kw = node.keywords[0]
                self.report(
                    "expr.arguments",
                    f"{name}() takes positional arguments only",
                    node,
                    col=self.lines.column(kw.lineno, kw.col_offset),
                )
            if not low <= len(node.args) <= high:
                want = str(low) if low == high else f"{low} to {high}"
                self.report(
                    "expr.arguments",
                    f"{name}() takes {want} argument{'s' * (high > 1)}, got {len(node.args)}",
                    node,
                )
        else:
            label = func.id if isinstance(func, ast.Name) else _describe(func)
            hint = _hint(label, FUNCTIONS) if isinstance(func, ast.Name) else None
            self.report(
                "expr.call",
                f"`{label}` is not an allowed function",
                node,
                hint=hint or "allowed: " + ", ".join(sorted(FUNCTIONS)),
            )
            if not isinstance(func, ast.Name):
                self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)


def _syntax_column(body: str, exc: SyntaxError, lead: int) -> int:
    if exc.lineno is None or not exc.offset:  # the parser ran out of input: point past the end
        return lead + len(body) + 1
    return lead + _Lines(body).char_column(exc.lineno, exc.offset)


def parse_expr(
    text: str,
    *,
    path: str = "$",
    fields: Collection[str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Expr:
    """Parse and validate one expression; raise `PackError` with every problem found.

    `fields`, when given, are the event fields a bare name may refer to; `params`, when given, is
    the pack's params mapping that `params.NAME` paths are checked against.
    """

    def fail(code: str, message: str, column: int | None, hint: str | None = None) -> PackError:
        return PackError([Diagnostic(code, message, path, column=column, hint=hint)])

    if not isinstance(text, str):
        raise fail("expr.syntax", f"an expression is text, not {type(text).__name__}", None)
    if len(text) > MAX_LENGTH:
        raise fail(
            "expr.too-long",
            f"expression of {len(text)} characters; at most {MAX_LENGTH} are allowed",
            1,
            "split it into several rules or move data into `params`",
        )
    deep = _bracket_depth(text)
    if deep is not None:
        raise fail("expr.too-deep", f"brackets nested deeper than {MAX_DEPTH}", deep + 1)
    body = text.lstrip(" \t\f\r\n")  # `ast.parse` would call leading blanks an indent
    lead = text[: len(text) - len(body)]
    try:
        with warnings.catch_warnings():  # pack text must not print to stderr ("invalid escape")
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        column = _syntax_column(body, exc, len(lead))
        raise fail("expr.syntax", f"syntax error: {exc.msg}", column) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise fail("expr.too-deep", f"expression too complex to parse ({exc})", 1) from None
    if lead:
        _shift(tree, lead)
    checker = _Checker(text, path, fields, params)
    deepest = _depth_violation(tree)
    if deepest is not None:
        checker.report("expr.too-deep", f"sub-expressions nested deeper than {MAX_DEPTH}", deepest)
    else:
        checker.visit(tree.body)
    if checker.problems:
        raise PackError(checker.problems)
    return Expr(
        text,
        tree,
        frozenset(checker.fields),
        frozenset(checker.params),
        frozenset(checker.functions),
    )


# --- code generation -----------------------------------------------------------------------------


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

    def emit(self, node: ast.expr) -> ast.expr:
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
                if helper is None:
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
