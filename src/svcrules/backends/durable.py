"""Backends: a pack's matching run by durable_rules, its outcomes built by svcrules' runtime.

``DurableEngine`` mirrors ``Engine``: the same packs, editions, params and calendars, the same
event validation (each pack's ``EventShape``), the same ``Decision``. What differs is who decides
that a rule applies: each active rule's whole condition (its effective dates, its ``when`` and
the guards its effect adds, such as a check's failed assertion) is translated into a
durable_rules condition over a JSON message, and durable_rules evaluates it. Once it has, the
effect the compiler bound for that rule builds the outcome, so due times, explanations and
errors are svcrules' own.

The translation is exact or it is refused. Event values become JSON that compares exactly in
durable_rules' C core: numbers as 64-bit integers scaled to the decimals of the constants they
are compared with (plus a remainder flag), instants as epoch microseconds, dates as ordinals,
strings and booleans as themselves, an absent value as a separate flag. Sub-expressions over
fields with a finite set of values (enums, bools, the event type) are evaluated by svcrules at
translation time for every value and become a disjunction of equalities. Anything else that
durable_rules cannot express exactly (arithmetic on event fields, helper functions, params
looked up by an unbounded field, comparing two fields, ordering strings or a field that may be
absent) is refused with a located ``backend.untranslatable`` diagnostic naming the rule: never a
silent difference. ``omit=`` leaves named rules out on purpose (the compiled evaluator held to
this backend, ``DurableEngine.engine``, leaves them out too).

durable_rules consumes an event when one rule matches it, so each candidate rule gets its own
message (``r`` names the rule) and each rule has a complementary "does not apply" rule: every
message is answered, and a missing answer is an error, not a silent miss. The host is private to
the engine and runs no background threads, so ``evaluate`` is synchronous; a lock serialises it.
durable_rules is imported when a ``DurableEngine`` is made, never by ``import svcrules``.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from svcrules.calendars import Calendar
from svcrules.compile import CompiledPack
from svcrules.diagnostics import Diagnostic
from svcrules.effects import CheckSpec
from svcrules.engine import Engine, PackSource, _decision
from svcrules.errors import EventError, PackError, SvcrulesError, internal_error
from svcrules.expr import Expr, parse_expr
from svcrules.pack.checks import rule_fields
from svcrules.pack.schema import Pack, RuleSpec
from svcrules.runtime import EVAL_ERRORS, Decision, Rejection, rule_failed
from svcrules.runtime.batch import each
from svcrules.runtime.events import Event, check_envelope

__all__ = ["DurableEngine", "PackTranslation", "RuleTranslation", "translate"]

JSONScalar = str | int | bool
Json = dict[str, Any]

MAX_COMBINATIONS: Final = 256
"""Most value combinations a finite-domain sub-expression is evaluated for at translation."""
MAX_STRING: Final = 1000
"""Longest string constant compared with a field; longer field values are cut to one more."""
_Q_MAX: Final = 2**63 - 1
_C_MAX: Final = 2**62
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO: Final = dt.timedelta(microseconds=1)


# --------------------------------------------------------------------- the condition algebra


@dataclass(frozen=True, slots=True)
class _Atom:
    key: str
    op: str  # $eq $neq $lt $lte $gt $gte
    value: JSONScalar


@dataclass(frozen=True, slots=True)
class _All:
    parts: tuple[_Cond, ...]


@dataclass(frozen=True, slots=True)
class _Any:
    parts: tuple[_Cond, ...]


_Cond = _Atom | _All | _Any
TRUE: Final = _All(())
FALSE: Final = _Any(())
_FLIP: Final = {
    "$eq": "$neq",
    "$neq": "$eq",
    "$lt": "$gte",
    "$gte": "$lt",
    "$lte": "$gt",
    "$gt": "$lte",
}
_MIRROR: Final = {
    "$eq": "$eq",
    "$neq": "$neq",
    "$lt": "$gt",
    "$gt": "$lt",
    "$lte": "$gte",
    "$gte": "$lte",
}


def _conj(*parts: _Cond) -> _Cond:
    out: list[_Cond] = []
    for p in parts:
        if p == FALSE:
            return FALSE
        out.extend(p.parts if isinstance(p, _All) else (p,))
    return out[0] if len(out) == 1 else _All(tuple(out))


def _disj(*parts: _Cond) -> _Cond:
    out: list[_Cond] = []
    for p in parts:
        if p == TRUE:
            return TRUE
        out.extend(p.parts if isinstance(p, _Any) else (p,))
    return out[0] if len(out) == 1 else _Any(tuple(out))


def _negate(c: _Cond) -> _Cond:
    """Exact, because every key a condition reads is present in every message."""
    if isinstance(c, _Atom):
        return _Atom(c.key, _FLIP[c.op], c.value)
    if isinstance(c, _All):
        return _disj(*(_negate(p) for p in c.parts))
    return _conj(*(_negate(p) for p in c.parts))


MAX_DURABLE_EXPRESSIONS: Final = 32
"""durable_rules' limit on the comparisons of one rule (rete.h ``MAX_SEQUENCE_EXPRESSIONS``);
past it, creating the ruleset fails with error 113."""


def _atoms(c: _Cond) -> int:
    return 1 if isinstance(c, _Atom) else sum(_atoms(p) for p in c.parts)


def _to_json(c: _Cond) -> Json:
    """durable_rules' JSON form of a condition (neither TRUE nor FALSE)."""
    if isinstance(c, _Atom):
        return {c.key: c.value} if c.op == "$eq" else {c.op: {c.key: c.value}}
    op = "$and" if isinstance(c, _All) else "$or"
    return {op: [_to_json(p) for p in c.parts]}


# --------------------------------------------------------------------- values as exact JSON


def _digits(x: Decimal) -> int:
    exponent = x.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scaled(x: int | Decimal, d: int) -> tuple[int, int]:
    """``(floor(x * 10**d), 1 if that dropped a remainder else 0)``, clamped to 64 bits."""
    if isinstance(x, int):
        n, k = x, d
        size = x.bit_length() // 3 + 1
    else:
        sign, digits, exponent = x.as_tuple()
        assert isinstance(exponent, int)  # validated numbers are finite
        n = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        k = exponent + d
        size = len(digits)
    if n == 0:
        return 0, 0
    if k >= 0:
        if size + k > 20:
            return (_Q_MAX if n > 0 else -_Q_MAX), 0
        q, rest = n * 10**k, 0
    elif -k > size + 1:  # |x * 10**d| < 1
        q, rest = (0 if n > 0 else -1), 1
    else:
        q, r = divmod(n, 10**-k)
        rest = 1 if r else 0
    if q > _Q_MAX:
        return _Q_MAX, 0
    if q < -_Q_MAX:
        return -_Q_MAX, 0
    return q, rest


def _micros(x: dt.datetime) -> int:
    return (x - _EPOCH) // _MICRO


# --------------------------------------------------------------------- fields of a rule


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


# --------------------------------------------------------------------- translation of a pack


@dataclass(frozen=True, slots=True)
class RuleTranslation:
    """One active rule on durable_rules: when it applies, in durable_rules' JSON form."""

    rule: str
    on: tuple[str, ...]
    condition: Json | bool
    """durable_rules' condition over the message (``True``: always, ``False``: never)."""


@dataclass(frozen=True, slots=True)
class PackTranslation:
    """A compiled pack on durable_rules: the rules that translate and the refusals."""

    pack: str
    rules: tuple[RuleTranslation, ...]
    refused: tuple[Diagnostic, ...]
    keys: Mapping[str, Encoder]
    """Message key → how it is computed from the validated event."""

    @property
    def refused_rules(self) -> tuple[str, ...]:
        return tuple(d.rule for d in self.refused if d.rule is not None)


def translate(pack: Pack, compiled: CompiledPack) -> PackTranslation:
    """Translate every active rule of ``compiled`` (made from ``pack``); never raises for a rule
    it cannot translate: it lists a ``backend.untranslatable`` diagnostic for it instead."""
    spec = pack.spec
    params = compiled.namespace.get("P", spec.params)
    index = {r.id: i for i, r in enumerate(spec.rules)}
    by_id = {r.id: r for r in spec.rules}
    keys: dict[str, Encoder] = {}
    rules: list[RuleTranslation] = []
    refused: list[Diagnostic] = []
    for rule_id, code in compiled.code.items():
        rule = by_id[rule_id]
        types = rule_fields(spec, rule)
        fields = _rule_field_info(rule, compiled, types)
        mine: dict[str, Encoder] = {}
        t = _Translator(fields, params, mine)
        site: tuple[str | int, ...] = ("when",)
        try:
            cond: _Cond = TRUE
            if rule.effective is not None:
                at = fields["at"]
                if rule.effective.from_ is not None:
                    lo = dt.datetime.combine(
                        rule.effective.from_, dt.time(), tzinfo=compiled.timezone
                    )
                    cond = _conj(cond, t.order(at, "$gte", lo, ast.Constant(None)))
                if rule.effective.until is not None:
                    hi = dt.datetime.combine(
                        rule.effective.until, dt.time(), tzinfo=compiled.timezone
                    )
                    cond = _conj(cond, t.order(at, "$lt", hi, ast.Constant(None)))
            if rule.when is not None:
                cond = _conj(
                    cond, t.condition(_expr(pack, rule, ("when",), rule.when, types, params))
                )
            if isinstance(rule.effect, CheckSpec):
                site = ("check", "assert")
                x = _expr(pack, rule, site, rule.effect.assert_, types, params)
                cond = _conj(cond, _negate(t.condition(x)))
            elif code.effect_guards:
                site = (rule.effect.key,)
                raise _Refused(f"its `{rule.effect.key}` effect adds conditions of its own")
            if (n := _atoms(cond)) > MAX_DURABLE_EXPRESSIONS:
                raise _Refused(
                    f"its condition needs {n} comparisons; durable_rules takes at most "
                    f"{MAX_DURABLE_EXPRESSIONS} in one rule (MAX_SEQUENCE_EXPRESSIONS)"
                )
        except _Refused as r:
            refused.append(_refusal(pack, rule, index[rule.id], site, r))
            continue
        keys.update(mine)
        condition: Json | bool = (
            True if cond == TRUE else False if cond == FALSE else _to_json(cond)
        )
        rules.append(RuleTranslation(rule.id, rule.event_types, condition))
    return PackTranslation(spec.pack, tuple(rules), tuple(refused), keys)


def _expr(
    pack: Pack,
    rule: RuleSpec,
    site: tuple[str | int, ...],
    text: str,
    fields: Mapping[str, str],
    params: Mapping[str, Any],
) -> Expr:
    x = pack.exprs.get((rule.id, site))
    return x if x is not None else parse_expr(text, fields=fields, params=params)


def _refusal(
    pack: Pack, rule: RuleSpec, i: int, site: tuple[str | int, ...], r: _Refused
) -> Diagnostic:
    file, line, column = pack.locations.get(rule.id, (pack.source, None, None))
    path = f"$.rules[{i}]." + ".".join(str(s) for s in site)
    return Diagnostic(
        "backend.untranslatable",
        f"rule {rule.id!r} cannot run on durable_rules: {r.reason}",
        path,
        file=file,
        line=line,
        column=column,
        hint=(
            f"leave it out with DurableEngine(..., omit=[{rule.id!r}]) or evaluate this pack "
            "with svcrules.Engine"
        ),
        rule=rule.id,
    )


def _without(pack: Pack, omit: Collection[str]) -> Pack:
    spec = pack.spec.model_copy(
        update={"rules": tuple(r for r in pack.spec.rules if r.id not in omit)}
    )
    return Pack(
        spec,
        source=pack.source,
        edition=pack.edition,
        locations={k: v for k, v in pack.locations.items() if k not in omit},
        exprs={k: v for k, v in pack.exprs.items() if k[0] not in omit},
    )


# --------------------------------------------------------------------- evaluation


_serial = itertools.count()


class _PackRunner:
    """One pack's ruleset in a private durable_rules host, and the effects to call."""

    def __init__(
        self,
        host: Any,
        translation: PackTranslation,
        compiled: CompiledPack,
        lock: threading.Lock,
    ) -> None:
        self.host, self.lock = host, lock
        self.name = f"svcrules_{next(_serial)}_{translation.pack}"
        self.verdicts: list[tuple[int, bool]] = []
        self.ids = itertools.count()
        order = {rule_id: k for k, rule_id in enumerate(compiled.code)}
        definition: dict[str, Json] = {}
        candidates: dict[str, list[int]] = {t: [] for t in compiled.shapes}
        keys_for: dict[str, dict[str, Encoder]] = {t: {} for t in compiled.shapes}
        verdicts = self.verdicts

        def action(k: int, applies: bool) -> Callable[[Any], None]:
            def act(c: Any) -> None:  # one parameter: durable_rules runs it synchronously
                verdicts.append((k, applies))

            return act

        for rt in translation.rules:
            if rt.condition is False:  # can never apply: nothing to ask
                continue
            k = order[rt.rule]
            only = {"r": k}
            if rt.condition is True:
                definition[f"m{k}"] = {"all": [{"m": only}], "run": action(k, True)}
            else:
                yes = {"$and": [only, rt.condition]}
                no = {"$and": [only, _to_json(_negate(_from_json(rt.condition)))]}
                definition[f"m{k}"] = {"all": [{"m": yes}], "run": action(k, True)}
                definition[f"x{k}"] = {"all": [{"m": no}], "run": action(k, False)}
                used = _json_keys(rt.condition)
                for etype in rt.on:
                    keys_for[etype].update({key: translation.keys[key] for key in used})
            for etype in rt.on:
                candidates[etype].append(k)
        self.candidates = {t: tuple(sorted(ks)) for t, ks in candidates.items() if ks}
        self.encoders = {t: tuple(keys_for[t].items()) for t in self.candidates}
        self.handle: Any = None
        if definition:
            host.register_rulesets({self.name: definition})
            self.handle = host.get_ruleset(self.name)._handle
        self.fire = _fire_functions(compiled)

    def run(self, etype: str, e: dict[str, Any], out: list[Any]) -> None:
        candidates = self.candidates.get(etype)
        if not candidates:
            return
        fields = {key: encode(e) for key, encode in self.encoders[etype]}
        with self.lock:
            messages = [{"id": next(self.ids), "r": k, **fields} for k in candidates]
            self.verdicts.clear()
            self.host.post_batch(self.name, messages)
            verdicts = sorted(self.verdicts)
        if [k for k, _ in verdicts] != list(candidates):
            raise RuntimeError(
                f"durable_rules answered for rules {verdicts} of {list(candidates)}; "
                "every message must get exactly one answer"
            )
        for k, applies in verdicts:
            if applies:
                out.append(self.fire[k](e))


def _from_json(j: Json) -> _Cond:
    ((op, body),) = j.items()
    if op in ("$and", "$or"):
        parts = tuple(_from_json(p) for p in body)
        return _All(parts) if op == "$and" else _Any(parts)
    if op in _FLIP:
        ((key, value),) = body.items()
        return _Atom(key, op, value)
    return _Atom(op, "$eq", body)


def _json_keys(j: Json) -> set[str]:
    ((op, body),) = j.items()
    if op in ("$and", "$or"):
        return set().union(*(_json_keys(p) for p in body))
    if op in _FLIP:
        return set(body)
    return {op}


def _fire_functions(compiled: CompiledPack) -> list[Callable[[dict[str, Any]], Any]]:
    """Per rule, in pack order: its effect call exactly as compiled, with the compiled pack's
    error mapping (``rule_failed``)."""
    g: dict[str, Any] = dict(compiled.namespace)
    g["_EVAL_ERRORS"] = EVAL_ERRORS
    g["_rule_failed"] = rule_failed
    lines = []
    for k, (rule_id, code) in enumerate(compiled.code.items()):
        g[f"_fire{k}_reads"] = code.reads
        lines += [
            f"def _fire{k}(e):",
            "    try:",
            f"        return {code.call}",
            "    except _EVAL_ERRORS as exc:",
            f"        raise _rule_failed(e, {rule_id!r}, exc, _fire{k}_reads) from None",
        ]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<svcrules durable {compiled.name}>", "exec"), g)  # generated calls
    return [g[f"_fire{k}"] for k in range(len(compiled.code))]


def _quiet_host() -> Any:
    """A durable_rules host of our own, without the background threads that would otherwise
    run actions outside ``post`` (so ``evaluate`` stays synchronous and isolated)."""
    try:
        from durable import engine as durable_engine
    except Exception as exc:  # not installed, or its C core failed to load
        raise ImportError(
            "the durable backend needs durable_rules: pip install 'svcrules[durable]' "
            f"({type(exc).__name__}: {exc})"
        ) from exc

    class QuietHost(durable_engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            pass

    return QuietHost()


def _delete_rulesets(handles: list[Any]) -> None:
    import durable_rules_engine

    for handle in handles:
        durable_rules_engine.delete_ruleset(handle)


class DurableEngine:
    """``Engine``'s twin whose matching runs in durable_rules.

    Takes what ``Engine`` takes; ``omit`` names rules to leave out on purpose. Raises
    ``PackError`` with a ``backend.untranslatable`` diagnostic for every active rule it cannot
    translate exactly (and ``ImportError`` when durable_rules is not installed).
    ``DurableEngine.engine`` is the compiled evaluator over exactly the same rules: the one this
    backend must agree with.
    """

    def __init__(
        self,
        packs: PackSource | Sequence[PackSource],
        *,
        edition: str | None = None,
        params: Mapping[str, Any] | None = None,
        calendars: Mapping[str, Calendar] | None = None,
        omit: Collection[str] = (),
    ) -> None:
        host = _quiet_host()
        engine = Engine(packs, edition=edition, params=params, calendars=calendars)
        left_out = frozenset([omit] if isinstance(omit, str) else omit)
        if left_out:
            known = {r.id for p in engine.packs for r in p.spec.rules}
            unknown = sorted(left_out - known)
            if unknown:
                raise PackError(
                    Diagnostic(
                        "backend.unknown-rule",
                        f"`omit` names rule {rule_id!r}, which no loaded pack has",
                    )
                    for rule_id in unknown
                )
            engine = Engine(
                [_without(p, left_out) for p in engine.packs],
                params=params,
                calendars=calendars,
            )
        self.engine: Engine = engine
        """The compiled evaluator over the same packs, edition, params and rules."""
        self.omitted: frozenset[str] = left_out
        self.translations: tuple[PackTranslation, ...] = tuple(
            translate(p, cp) for p, cp in zip(engine.packs, engine.compiled, strict=True)
        )
        problems = [d for t in self.translations for d in t.refused]
        if problems:
            raise PackError(problems)
        self._lock = threading.Lock()
        runners = [
            _PackRunner(host, t, cp, self._lock)
            for t, cp in zip(self.translations, engine.compiled, strict=True)
        ]
        self._host = host
        handles = [r.handle for r in runners if r.handle is not None]
        weakref.finalize(self, _delete_rulesets, handles)
        dispatch: dict[str, list[tuple[Any, _PackRunner]]] = {}
        for cp, runner in zip(engine.compiled, runners, strict=True):
            for etype, shape in cp.shapes.items():
                dispatch.setdefault(etype, []).append((shape.validate, runner))
        self._dispatch = {t: tuple(steps) for t, steps in dispatch.items()}

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._dispatch)

    def evaluate(self, event: Mapping[str, Any] | Event) -> Decision:
        """What ``event`` implies on its own; raises ``EventError`` if it cannot be evaluated."""
        try:
            if type(event) is not dict:
                if isinstance(event, Event):
                    event = event.to_mapping()
                check_envelope(event, self._dispatch)
            etype = event.get("type")
            steps = self._dispatch.get(etype) if type(etype) is str else None
            if steps is None:
                check_envelope(event, self._dispatch)
                raise AssertionError("unreachable: check_envelope accepted an unknown type")
            assert isinstance(etype, str)
            out: list[Any] = []
            event_id = None
            for validate, runner in steps:
                e = validate(event)
                event_id = e["id"]
                runner.run(etype, e, out)
        except SvcrulesError:
            raise
        except Exception as exc:
            raise internal_error(EventError, "event.internal", "on this event", exc) from exc
        return _decision(event_id, etype, out)

    def evaluate_many(self, events: Iterable[Any]) -> Iterator[Decision | Rejection]:
        """One ``Decision`` or ``Rejection`` per input event, in input order."""
        return each(self.evaluate, events)

    def __repr__(self) -> str:
        packs = ", ".join(f"{p.name} {p.version} ({p.edition})" for p in self.engine.packs)
        return f"<DurableEngine {packs}>"
