"""Backends (durable): conditions as durable_rules sees them (comparisons, all/any, exact negation)
and event values as exactly comparable JSON (scaled integers, epoch microseconds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

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
