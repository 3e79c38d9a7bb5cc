"""Expressions: the limits and the runtime that generated code calls (allow-listed functions,
bounded operators).
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

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
"""Largest value, in cells, that `*`, `+` or `str()` may build (at event time and when folding
constants). A string or bytes counts one cell per character or byte; a list or tuple one per
item plus the cells of the strings and lists it holds, counted as often as they occur: so
`[s] * 100` where `s` has 1,000 characters is 100,100 cells, although CPython shares `s`, because
`str()`, `==` or `in` on it would do that much work."""


MAX_SEARCH: Final = 10_000_000
"""Most text `contains_any` and `count_of` may scan: length of the text times number of words."""


MAX_POWER_BITS: Final = 8192
"""Largest integer (in bits) that `**` may build at event time."""


_Number = (int, Decimal, float)


def _to_decimal(x: int | Decimal | float) -> Decimal:
    # repr() of a float is its shortest round-tripping text: 0.1, not 0.1000000000000000055...
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def _op_div(a: Any, b: Any) -> Any:
    """`a / b`: exact decimal division for numbers (7 / 2 == Decimal("3.5")), native otherwise."""
    if isinstance(a, _Number) and isinstance(b, _Number):
        return _to_decimal(a) / _to_decimal(b)
    return a / b


_SIZED = (str, bytes, list, tuple)


def cells(value: Any, budget: int = MAX_SEQUENCE) -> int:
    """The size of ``value`` in cells (see `MAX_SEQUENCE`), counted only until it passes
    ``budget``: the count stops early, so this costs at most about ``budget`` steps."""
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, list | tuple):
        return 1
    total = 0
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str | bytes):
            total += len(node)
        elif isinstance(node, list | tuple):
            total += len(node)
            if total > budget:
                return total
            stack.extend(x for x in node if isinstance(x, _SIZED))
        if total > budget:
            return total
    return total


def _too_big(op: str) -> ValueError:
    return ValueError(f"{op} would build a value larger than {MAX_SEQUENCE} cells")


def _op_mul(a: Any, b: Any) -> Any:
    """`a * b`, refusing to repeat a string, bytes or list past `MAX_SEQUENCE` cells."""
    for seq, n in ((a, b), (b, a)):
        if (
            isinstance(seq, _SIZED)
            and isinstance(n, int)
            and n > 0
            and (n > MAX_SEQUENCE or cells(seq, MAX_SEQUENCE // n) * n > MAX_SEQUENCE)
        ):
            raise _too_big("`*`")
    return a * b


def _op_add(a: Any, b: Any) -> Any:
    """`a + b`, refusing to concatenate strings, bytes or lists past `MAX_SEQUENCE` cells."""
    if isinstance(a, _SIZED) and cells(a) + cells(b) > MAX_SEQUENCE:
        raise _too_big("`+`")
    return a + b


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
    """`str(x)`, refusing to print a value larger than `MAX_SEQUENCE` cells (its text would be
    larger still): `str([str(big)] * n)` is how the cap on `*` was bypassed."""
    if isinstance(x, list | tuple) and cells(x) > MAX_SEQUENCE:
        raise _too_big("`str()`")
    out = str(x)
    if len(out) > MAX_SEQUENCE and not isinstance(x, str):
        raise _too_big("`str()`")
    return out


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


def local_date(tz: tzinfo) -> Callable[[Any], date]:
    """`date()` for one pack: a datetime's date in the pack's time zone, not in its own offset
    (2025-09-27T17:00Z is 2025-09-28 in Asia/Shanghai). The compiler binds it per pack."""

    def _fn_date_local(x: Any) -> date:
        if isinstance(x, datetime):
            return x.astimezone(tz).date()
        return _fn_date(x)

    return _fn_date_local


def _strings(text: Any, items: Any, fn: str) -> tuple[str, list[str]]:
    if not isinstance(text, str):
        raise TypeError(f"{fn}() takes a string first, not {type(text).__name__}")
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise TypeError(f"{fn}() takes a list of strings second")
    if (len(text) + 1) * len(items) > MAX_SEARCH:
        raise ValueError(f"{fn}() would scan more than {MAX_SEARCH} characters")
    return text, list(items)


def _fn_contains_any(text: Any, items: Any) -> bool:
    """Whether any of the strings in `items` occurs in `text`."""
    s, words = _strings(text, items, "contains_any")
    return any(w in s for w in words)


def _fn_count_of(text: Any, items: Any) -> int:
    """How many of the strings in `items` occur in `text` (each counted once)."""
    s, words = _strings(text, items, "count_of")
    return sum(1 for w in words if w in s)


# --- phrase matching -----------------------------------------------------------------------------

MAX_PHRASE_TEXT: Final = 1_000_000
"""Longest text `phrases_in` searches, in characters."""


MAX_PHRASES: Final = 10_000
"""Most phrases (and most variant spellings) `phrases_in` takes."""


MAX_PHRASE_LENGTH: Final = 1000
"""Longest single phrase, in characters."""


_NOT_WORD: Final = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Drop every character that is not a letter or a digit (punctuation of either width, spaces,
    symbols), then NFKC (full-width -> half-width) and casefold. Dropping first keeps the costly
    NFKC step off texts whose remaining characters are normalised already (most Chinese text)."""
    s = _NOT_WORD.sub("", text)
    if not unicodedata.is_normalized("NFKC", s):
        s = _NOT_WORD.sub("", unicodedata.normalize("NFKC", s))
    return s.casefold()


_MAX_CACHED: Final = 1_000_000


class _PhraseMatcher:
    """An Aho-Corasick automaton over the folded phrases: one pass over the text finds every
    phrase that occurs in it, overlapping or not, whatever the number of phrases."""

    __slots__ = ("_cached", "_delta", "_fail", "_goto", "_out", "_phrases", "_table")

    def __init__(self, phrases: tuple[str, ...], variants: tuple[tuple[str, str], ...]) -> None:
        self._phrases = phrases
        self._table: dict[int, str] | None = {ord(k): v for k, v in variants} if variants else None
        goto: list[dict[str, int]] = [{}]
        ends: list[set[int]] = [set()]
        for index, phrase in enumerate(phrases):
            key = _fold(phrase)
            if self._table:
                key = key.translate(self._table)
            if not key:  # a phrase of punctuation alone would match every text
                continue
            state = 0
            for ch in key:
                nxt = goto[state].get(ch)
                if nxt is None:
                    nxt = len(goto)
                    goto[state][ch] = nxt
                    goto.append({})
                    ends.append(set())
                state = nxt
            ends[state].add(index)
        fail = [0] * len(goto)
        order = list(goto[0].values())
        for state in order:  # breadth first: a state's fail link is set before its children's
            for ch, child in goto[state].items():
                order.append(child)
                f = fail[state]
                while ch not in goto[f] and f:
                    f = fail[f]
                fail[child] = goto[f].get(ch, 0)
                ends[child] |= ends[fail[child]]
        self._goto = goto
        self._fail = fail
        self._out = [tuple(sorted(e)) for e in ends]
        self._delta = [dict(g) for g in goto]  # goto plus the fail transitions taken so far
        self._cached = 0

    def find(self, text: str) -> tuple[str, ...]:
        delta, out = self._delta, self._out
        found: set[int] = set()
        state = 0
        for ch in _fold(text):
            nxt = delta[state].get(ch)
            state = self._step(state, ch) if nxt is None else nxt
            if out[state]:
                found.update(out[state])
        return tuple(self._phrases[i] for i in sorted(found))

    def _step(self, state: int, ch: str) -> int:
        """The transition from ``state`` on ``ch`` through the fail links, remembered (up to
        ``_MAX_CACHED`` transitions per automaton) so that the next text takes it in one lookup."""
        c = self._table.get(ord(ch), ch) if self._table else ch  # a variant spelling
        s = state
        while s and c not in self._goto[s]:
            s = self._fail[s]
        nxt = self._goto[s].get(c, 0)
        if self._cached < _MAX_CACHED:
            self._delta[state][ch] = nxt
            self._cached += 1
        return nxt


@functools.lru_cache(maxsize=64)
def _phrase_matcher(
    phrases: tuple[str, ...], variants: tuple[tuple[str, str], ...]
) -> _PhraseMatcher:
    """The automaton for one phrase list, checked and built on first use. The arguments are the
    cache key, so a call with the same list costs a tuple hash, not a pass over the phrases."""
    if not all(isinstance(p, str) for p in phrases):
        raise TypeError("phrases_in() takes a list of strings second")
    if len(phrases) > MAX_PHRASES or any(len(p) > MAX_PHRASE_LENGTH for p in phrases):
        raise ValueError(
            f"phrases_in() takes at most {MAX_PHRASES} phrases of {MAX_PHRASE_LENGTH} characters"
        )
    if len(variants) > MAX_PHRASES or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) == len(v) == 1 for k, v in variants
    ):
        raise ValueError("phrases_in() variants map one character to one character")
    return _PhraseMatcher(phrases, variants)


def _fn_phrases_in(text: Any, phrases: Any, variants: Any = None) -> tuple[str, ...]:
    """The phrases of `phrases` that occur in `text`, in list order, compared after folding both
    sides: full-width and half-width forms alike (NFKC), case, the one-character `variants`
    (a mapping such as traditional -> simplified), and without punctuation or spaces."""
    if not isinstance(text, str):
        raise TypeError(f"phrases_in() takes a string first, not {type(text).__name__}")
    if len(text) > MAX_PHRASE_TEXT:
        raise ValueError(f"phrases_in() searches at most {MAX_PHRASE_TEXT} characters")
    if not isinstance(phrases, list | tuple):
        raise TypeError("phrases_in() takes a list of strings second")
    if variants is None:
        pairs: tuple[tuple[str, str], ...] = ()
    elif isinstance(variants, Mapping):
        pairs = tuple(sorted(variants.items()))
    else:
        raise TypeError("phrases_in() takes a mapping of variant spellings third")
    return _phrase_matcher(tuple(phrases), pairs).find(text)


def _fn_min_gap(values: Any) -> Any:
    """The smallest difference between neighbouring numbers of `values` once sorted (seconds
    between doorbell presses, say); None when there are fewer than two."""
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, _Number) and not isinstance(v, bool) for v in values
    ):
        raise TypeError("min_gap() takes a list of numbers")
    if len(values) > MAX_SEQUENCE:
        raise ValueError(f"min_gap() takes at most {MAX_SEQUENCE} numbers")
    if len(values) < 2:
        return None
    ordered = sorted(v if isinstance(v, int) else _to_decimal(v) for v in values)
    return min(b - a for a, b in itertools.pairwise(ordered))


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
        "min_gap": _fn_min_gap,
        "minutes": _duration(60_000_000),
        "phrases_in": _fn_phrases_in,
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
    "min_gap": (1, 1),
    "minutes": (1, 1),
    "phrases_in": (2, 3),
    "round": (1, 2),
    "str": (1, 1),
}


_OPERATORS: Final[Mapping[type[ast.operator], str | None]] = {
    ast.Add: "add",  # native when an operand is a number literal (see codegen)
    ast.Sub: None,
    ast.FloorDiv: None,
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.Mod: "mod",
}


_OPERATOR_FUNCTIONS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "add": _op_add,
    "div": _op_div,
    "mul": _op_mul,
    "pow": _op_pow,
    "mod": _op_mod,
}


FN_PREFIX: Final = "_fn_"
"""Generated code calls function `f` (and the operator helpers div, mul, pow, mod) as `_fn_f`."""
