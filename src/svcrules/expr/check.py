"""Expressions: parse with `ast` and check against the allow-list, once, with located
diagnostics."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from svcrules.diagnostics import Diagnostic
from svcrules.errors import PackError
from svcrules.expr.codegen import Expr, _float_literal
from svcrules.expr.functions import (
    _ARITY,
    _OPERATORS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_INT,
    MAX_ITEMS,
    MAX_LENGTH,
    MAX_STRING,
)
from svcrules.expr.names import (
    _describe,
    _hint,
    _keyword_hint,
    _literal_exponent,
    resolve_field,
    spelling,
)
from svcrules.expr.positions import (
    _bracket_depth,
    _depth_violation,
    _Lines,
    _raw_cr_in_string,
    _shift,
    _syntax_column,
    flatten_lines,
)

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
        self.renames: list[tuple[ast.Name, str]] = []
        """Names spelled ``KEYWORD_`` and the keyword field each one reads."""

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

    def visit(self, node: ast.expr) -> None:  # noqa: C901 - a case per node kind: one match reads best
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
            if not number.copy_abs() <= MAX_INT:  # copy_abs: no context, so no Overflow
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
        field = resolve_field(name, self.known_fields)
        if name.startswith("_"):
            self.report("expr.private-name", f"names starting with `_` are refused: `{name}`", node)
        elif self.known_fields is not None and field not in self.known_fields:
            hint = _hint(name, [spelling(f) for f in self.known_fields])
            if hint is None and self.known_params is not None and name in self.known_params:
                hint = f"did you mean `params.{name}`?"
            if name in FUNCTIONS:
                hint = f"`{name}` is a function: call it, `{name}(...)`"
            self.report(
                "expr.unknown-name", f"`{name}` is not a field of the event", node, hint=hint
            )
        else:
            if field != name:
                self.renames.append((node, field))
            self.fields.add(field)

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
    written = text
    text = flatten_lines(text)  # several lines (`when: |`), every character where it was
    body = text.lstrip(" \t\f\r\n")  # `ast.parse` would call leading blanks an indent
    lead = text[: len(text) - len(body)]
    raw_cr = _raw_cr_in_string(body) if "\r" in body else None
    if raw_cr is not None:
        raise fail(
            "expr.syntax",
            "a raw carriage return (CR) inside a string literal, which Python would silently "
            "read as a line feed",
            len(lead) + raw_cr + 1,
            "write it as the escape \\r (or \\n for a line break)",
        )
    try:
        with warnings.catch_warnings():  # pack text must not print to stderr ("invalid escape")
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        column = _syntax_column(body, exc, len(lead))
        hint = _keyword_hint(body, fields)
        raise fail("expr.syntax", f"syntax error: {exc.msg}", column, hint) from None
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
    for node, field in checker.renames:  # the checked tree names the field itself, so the code
        node.id = field  # generator reads `e['class']` (and so does anything else walking it)
    return Expr(
        written,
        tree,
        frozenset(checker.fields),
        frozenset(checker.params),
        frozenset(checker.functions),
    )
