"""Backends (durable): one rule's checked expressions translated into a durable_rules condition,
exactly, or refused with the reason."""

from __future__ import annotations

import ast
import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from svcrules.backends.durable.conditions import (
    _C_MAX,
    _MIRROR,
    FALSE,
    MAX_COMBINATIONS,
    MAX_STRING,
    TRUE,
    JSONScalar,
    _Atom,
    _Cond,
    _conj,
    _digits,
    _disj,
    _micros,
    _negate,
    _scaled,
)
from svcrules.compile import CompiledPack
from svcrules.expr import Expr
from svcrules.pack.schema import RuleSpec


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    type: str
    """The field's type in every event type of the rule, or ``mixed``."""
    nullable: bool
    domain: tuple[Any, ...] | None
    """Every value it can have (None included when nullable), when that set is finite."""


def _rule_field_info(
    rule: RuleSpec, cp: CompiledPack, types: Mapping[str, str]
) -> dict[str, _Field]:
    out: dict[str, _Field] = {}
    for name, declared in types.items():
        if name == "type":
            out[name] = _Field(name, "string", False, tuple(rule.event_types))
            continue
        if name in ("id", "at"):
            out[name] = _Field(name, declared, name == "id", None)
            continue
        kinds: set[str] = set()
        nullable = False
        values: set[str] = set()
        finite = True
        for etype in rule.event_types:
            shape = next(f for f in cp.shapes[etype].fields if f.name == name)
            kinds.add(shape.type)
            nullable = nullable or (not shape.required and shape.default is None)
            if shape.values is not None:
                values.update(shape.values)
            elif shape.type != "bool":
                finite = False
        kind = kinds.pop() if len(kinds) == 1 else "mixed"
        domain: tuple[Any, ...] | None = None
        if kind == "enum" and finite:
            domain = tuple(sorted(values))
        elif kind == "bool":
            domain = (False, True)
        if domain is not None and nullable:
            domain = (*domain, None)
        out[name] = _Field(name, kind, nullable, domain)
    return out


class _Refused(Exception):
    def __init__(self, reason: str, node: ast.AST | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.node = node


Encoder = Callable[[Mapping[str, Any]], JSONScalar]


class _Translator:
    """Translates one rule's conditions; registers the message keys (and their encoders)."""

    def __init__(
        self,
        fields: Mapping[str, _Field],
        params: Mapping[str, Any],
        keys: dict[str, Encoder],
    ) -> None:
        self.fields, self.params, self.keys = fields, params, keys
        self.text = ""

    # -- message keys
    def _key(self, key: str, encode: Encoder) -> str:
        self.keys.setdefault(key, encode)
        return key

    def null_key(self, f: _Field) -> str:
        name = f.name
        return self._key(f"n_{name}", lambda e: e.get(name) is None)

    def value_key(self, f: _Field) -> str:
        name = f.name
        if f.type == "bool":
            return self._key(f"v_{name}", lambda e: bool(e.get(name)))

        def text(e: Mapping[str, Any]) -> str:
            v = e.get(name)
            return "" if v is None else str(v)[: MAX_STRING + 1]

        return self._key(f"v_{name}", text)

    def scaled_keys(self, f: _Field, d: int) -> tuple[str, str]:
        name = f.name

        def q(e: Mapping[str, Any]) -> int:
            v = e.get(name)
            return 0 if v is None else _scaled(v, d)[0]

        def s(e: Mapping[str, Any]) -> int:
            v = e.get(name)
            return 0 if v is None else _scaled(v, d)[1]

        return self._key(f"q{d}_{name}", q), self._key(f"s{d}_{name}", s)

    def instant_key(self, f: _Field) -> str:
        name = f.name
        if f.type == "date":
            return self._key(
                f"d_{name}", lambda e: 0 if e.get(name) is None else e[name].toordinal()
            )
        return self._key(f"t_{name}", lambda e: 0 if e.get(name) is None else _micros(e[name]))

    # -- conditions
    def condition(self, x: Expr) -> _Cond:
        self.text = x.text
        return self.cond(x.tree.body)

    def names(self, node: ast.AST) -> list[str]:
        calls = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
        found = {
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and n.id != "params" and id(n) not in calls
        }
        return sorted(found)

    def cond(self, node: ast.expr) -> _Cond:
        names = self.names(node)
        finite = self.enumerable(names)
        if finite is not None:
            return self.enumerate(node, names, finite)
        match node:
            case ast.BoolOp(op=ast.And()):
                return _conj(*(self.cond(v) for v in node.values))
            case ast.BoolOp(op=ast.Or()):
                return _disj(*(self.cond(v) for v in node.values))
            case ast.UnaryOp(op=ast.Not()):
                return _negate(self.cond(node.operand))
            case ast.Compare():
                parts = []
                left = node.left
                for op, right in zip(node.ops, node.comparators, strict=True):
                    parts.append(self.compare(left, op, right))
                    left = right
                return _conj(*parts)
            case ast.Name():
                f = self.fields[node.id]
                raise _Refused(f"tests the truth of {f.type} field `{f.name}`", node)
        raise self.unsupported(node)

    def enumerable(self, names: Sequence[str]) -> list[tuple[Any, ...]] | None:
        domains = []
        for n in names:
            f = self.fields.get(n)
            if f is None or f.domain is None:
                return None
            domains.append(f.domain)
        size = 1
        for d in domains:
            size *= len(d)
        return domains if size <= MAX_COMBINATIONS else None

    def evaluate(self, node: ast.expr, env: Mapping[str, Any]) -> Any:
        x = Expr(
            self.text,
            ast.Expression(body=node),
            frozenset(env),
            frozenset(),
            frozenset(),
        )
        return x.evaluate(env, self.params)

    def enumerate(
        self, node: ast.expr, names: Sequence[str], domains: Sequence[tuple[Any, ...]]
    ) -> _Cond:
        true: list[tuple[Any, ...]] = []
        false: list[tuple[Any, ...]] = []
        for combo in itertools.product(*domains):
            env = dict(zip(names, combo, strict=True))
            try:
                truth = bool(self.evaluate(node, env))
            except Exception as exc:
                shown = ", ".join(f"{k}={v!r}" for k, v in env.items())
                raise _Refused(
                    f"`{_source(self.text, node)}` raises for {shown or 'every event'} "
                    f"({type(exc).__name__}: {exc})",
                    node,
                ) from None
            (true if truth else false).append(combo)

        def match(combo: tuple[Any, ...]) -> _Cond:
            return _conj(*(self.eq(self.fields[n], v) for n, v in zip(names, combo, strict=True)))

        if not false:
            return TRUE
        if len(true) <= len(false):
            return _disj(*(match(c) for c in true))
        return _negate(_disj(*(match(c) for c in false)))

    def unsupported(self, node: ast.expr) -> _Refused:
        text = _source(self.text, node)
        fields = ", ".join(f"`{n}`" for n in self.names(node))
        match node:
            case ast.BinOp():
                why = (
                    f"arithmetic on event fields (`{text}`): svcrules computes it in exact "
                    "decimals, durable_rules in doubles"
                )
            case ast.Call(func=ast.Name(id=fn)):
                why = f"helper function `{fn}()` on event fields (`{text}`)"
            case ast.Subscript():
                why = f"params looked up by {fields}, which has no finite set of values (`{text}`)"
            case ast.IfExp():
                why = f"a conditional expression on event fields (`{text}`)"
            case _:
                why = f"`{text}` (over {fields}) has no durable_rules equivalent"
        return _Refused(why, node)

    def operand(self, node: ast.expr) -> tuple[_Field | None, Any]:
        """(field, None) for a field, (None, value) for a value fixed at translation."""
        if isinstance(node, ast.Name) and node.id != "params":
            return self.fields[node.id], None
        if self.names(node):
            raise self.unsupported(node)
        try:
            return None, self.evaluate(node, {})
        except Exception as exc:
            raise _Refused(
                f"`{_source(self.text, node)}` raises ({type(exc).__name__}: {exc})", node
            ) from None

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> _Cond:
        lf, lv = self.operand(left)
        rf, rv = self.operand(right)
        where = f"`{_source(self.text, left)} … {_source(self.text, right)}`"
        if lf is not None and rf is not None:
            raise _Refused(f"compares two event fields ({where})", left)
        if lf is None and rf is None:  # both fixed: never reached (enumerated), kept exact
            return TRUE if _python_compare(lv, op, rv) else FALSE
        if isinstance(op, ast.Is | ast.IsNot):
            f = lf or rf
            assert f is not None
            is_none = self.null(f)
            return is_none if isinstance(op, ast.Is) else _negate(is_none)
        if isinstance(op, ast.In | ast.NotIn):
            if lf is None:
                raise _Refused(f"`in` on the contents of field `{rf.name if rf else '?'}`", right)
            if isinstance(rv, str):
                raise _Refused(f"a substring test on field `{lf.name}` ({where})", right)
            if isinstance(rv, Mapping | list | tuple | set | frozenset):
                items = list(rv)
            else:
                raise _Refused(f"`in` over a {type(rv).__name__} ({where})", right)
            found = _disj(*(self.eq(lf, item) for item in items))
            return found if isinstance(op, ast.In) else _negate(found)
        name = {
            ast.Eq: "$eq",
            ast.NotEq: "$neq",
            ast.Lt: "$lt",
            ast.LtE: "$lte",
            ast.Gt: "$gt",
            ast.GtE: "$gte",
        }[type(op)]
        if lf is None:  # constant OP field  ==  field MIRROR(OP) constant
            assert rf is not None
            lf, rv, name = rf, lv, _MIRROR[name]
        if name == "$eq":
            return self.eq(lf, rv)
        if name == "$neq":
            return _negate(self.eq(lf, rv))
        return self.order(lf, name, rv, left)

    def null(self, f: _Field) -> _Cond:
        return _Atom(self.null_key(f), "$eq", True) if f.nullable else FALSE

    def eq(self, f: _Field, c: Any) -> _Cond:
        """``f == c`` exactly as Python has it."""
        if c is None:
            return self.null(f)
        present = _Atom(self.null_key(f), "$eq", False) if f.nullable else TRUE
        return _conj(present, self.value_eq(f, c))

    def value_eq(self, f: _Field, c: Any) -> _Cond:
        match f.type:
            case "string" | "enum":
                return self._text_eq(f, c)
            case "bool":
                if isinstance(c, bool) or (isinstance(c, int | Decimal) and c in (0, 1)):
                    return _Atom(self.value_key(f), "$eq", bool(c))
                return FALSE
            case "int" | "number":
                return self._number_eq(f, c)
            case "datetime" | "date":
                return self._time_eq(f, c)
        raise _Refused(f"compares {f.type} field `{f.name}` with {c!r}")

    def _text_eq(self, f: _Field, c: Any) -> _Cond:
        if not isinstance(c, str):
            return FALSE
        if len(c) > MAX_STRING:
            raise _Refused(f"a string constant of {len(c)} characters (at most {MAX_STRING})")
        return _Atom(self.value_key(f), "$eq", c)

    def _number_eq(self, f: _Field, c: Any) -> _Cond:
        if isinstance(c, float):
            c = Decimal(repr(c))
        if not isinstance(c, int | Decimal):
            return FALSE
        q, s, big = self.scaled(f, c)
        return _conj(_Atom(q, "$eq", big), _Atom(s, "$eq", 0))

    def _time_eq(self, f: _Field, c: Any) -> _Cond:
        if f.type == "datetime":
            if not isinstance(c, dt.datetime) or c.tzinfo is None or c.utcoffset() is None:
                return FALSE  # an aware instant never equals a naive one, nor a non-instant
            return _Atom(self.instant_key(f), "$eq", _micros(c))
        if isinstance(c, dt.datetime) or not isinstance(c, dt.date):
            return FALSE
        return _Atom(self.instant_key(f), "$eq", c.toordinal())

    def scaled(self, f: _Field, c: int | Decimal) -> tuple[str, str, int]:
        d = 0 if isinstance(c, int) else _digits(c)
        big, rest = _scaled(c, d)
        if rest or abs(big) >= _C_MAX:
            raise _Refused(f"the constant {c} is too large or too precise to compare exactly")
        q, s = self.scaled_keys(f, d)
        return q, s, big

    def order(self, f: _Field, op: str, c: Any, node: ast.expr) -> _Cond:
        if f.nullable:
            raise _Refused(
                f"orders field `{f.name}`, which an event may leave out (svcrules then rejects "
                "the event; durable_rules would only not match)",
                node,
            )
        if f.type in ("int", "number") and isinstance(c, int | Decimal):
            q, s, big = self.scaled(f, c)
            match op:
                case "$lt" | "$gte":
                    return _Atom(q, op, big)
                case "$lte":  # x <= c  ==  q < C or (q == C and nothing dropped)
                    return _disj(
                        _Atom(q, "$lt", big), _conj(_Atom(q, "$eq", big), _Atom(s, "$eq", 0))
                    )
                case _:  # $gt: x > c  ==  q > C or (q == C and something dropped)
                    return _disj(
                        _Atom(q, "$gt", big), _conj(_Atom(q, "$eq", big), _Atom(s, "$eq", 1))
                    )
        if f.type == "datetime" and isinstance(c, dt.datetime) and c.utcoffset() is not None:
            return _Atom(self.instant_key(f), op, _micros(c))
        if f.type == "date" and isinstance(c, dt.date) and not isinstance(c, dt.datetime):
            return _Atom(self.instant_key(f), op, c.toordinal())
        if f.type in ("string", "enum"):
            raise _Refused(f"orders strings (field `{f.name}`): durable_rules compares bytes", node)
        raise _Refused(f"orders {f.type} field `{f.name}` against {c!r}", node)


def _python_compare(a: Any, op: ast.cmpop, b: Any) -> bool:
    x = Expr(
        "a",
        ast.Expression(ast.Compare(ast.Name("a"), [op], [ast.Name("b")])),
        frozenset(("a", "b")),
        frozenset(),
        frozenset(),
    )
    return bool(x.evaluate({"a": a, "b": b}, {}))


def _source(text: str, node: ast.AST) -> str:
    seg = ast.get_source_segment(text, node) if text else None
    seg = seg or ast.unparse(node)
    return seg if len(seg) <= 60 else seg[:57] + "..."
