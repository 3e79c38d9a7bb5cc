"""Limits: the leaf every stage shares for bounding untrusted input (packs, events, CLI lines).

Packs and events are data from outside. Every number, nesting level and file or line read is
bounded here, at the edges, so that nothing later (``int(Decimal)``, which is quadratic in the
exponent; ``json``'s recursive parser; YAML aliases) can be made to run for long or eat memory.
``docs/security.md`` lists each limit and why it has its value.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal
from itertools import accumulate
from typing import Any, Final

MAX_DIGITS: Final = 40
"""Most significant digits of a number (an integer's digits; a decimal's coefficient, trailing
zeros not counted).

Decimal arithmetic runs at 28 digits; 40 leaves room for any 128-bit identifier (39 digits)."""

MAX_NUMBER_EXPONENT: Final = 40
"""Largest magnitude of a decimal's adjusted exponent: values from 1e-40 to about 1e41.

No minute count, voltage, percentage or point total comes near; ``int()`` of such a number is
instant, where ``int(Decimal("1e999999999"))`` would run for hours."""

INT_BOUND: Final = 10**MAX_DIGITS
"""Integers must satisfy ``-INT_BOUND < n < INT_BOUND`` (at most MAX_DIGITS digits)."""

MAX_NUMBER_TEXT: Final = 100
"""Longest text read as a number (signs, point, exponent and digits); checked before parsing."""

MAX_DEPTH: Final = 64
"""Deepest nesting of lists and mappings in a pack or an event."""

MAX_PACK_BYTES: Final = 4 * 1024 * 1024
"""Largest pack file, in bytes (the built-in power-grid pack is about 21 KB)."""

MAX_EVENT_BYTES: Final = 1024 * 1024
"""Longest event line `svcrules eval` reads, in bytes."""

MAX_EVENT_ITEMS: Final = 10_000
"""Most items (counted through nested lists and mappings) in one list field of an event."""


DIGITS_CONTEXT: Final = Context(prec=MAX_DIGITS)
"""``DIGITS_CONTEXT.plus(x) == x`` exactly when a finite ``x`` has at most MAX_DIGITS significant
digits: the cheap test the generated event validator uses."""


def int_problem(value: int) -> str | None:
    """Why ``value`` is out of bounds, or ``None`` (cheap: two comparisons)."""
    if -INT_BOUND < value < INT_BOUND:
        return None
    return f"integer of more than {MAX_DIGITS} digits"


_PLUS = DIGITS_CONTEXT.plus


def decimal_problem(value: Decimal) -> str | None:
    """Why ``value`` is out of bounds (not finite, too many digits, exponent too large)."""
    # the common case first, ~4x cheaper than counting digits: in range, at most MAX_DIGITS
    # significant digits (``_PLUS`` rounds to them; ``adjusted`` is checked first, so it is cheap)
    if (
        value.is_finite()
        and -MAX_NUMBER_EXPONENT <= value.adjusted() <= MAX_NUMBER_EXPONENT
        and _PLUS(value) == value
    ):
        return None
    if not value.is_finite():
        return f"{value} is not a finite number"
    if value.is_zero():
        return None  # 0E+999999999 is still zero; callers normalise it
    _, digits, _ = value.as_tuple()
    significant = len(digits)
    while digits[significant - 1] == 0:  # trailing zeros are not significant: 1.000 is 1
        significant -= 1
    if significant > MAX_DIGITS:
        return f"number with {significant} significant digits (at most {MAX_DIGITS})"
    if not -MAX_NUMBER_EXPONENT <= value.adjusted() <= MAX_NUMBER_EXPONENT:
        return (
            f"number of magnitude 1e{value.adjusted()} (the exponent must be between "
            f"-{MAX_NUMBER_EXPONENT} and {MAX_NUMBER_EXPONENT})"
        )
    return None


def number_problem(value: Any) -> str | None:
    """Why a number (int, Decimal or float) is out of bounds, or ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int_problem(value)
    if isinstance(value, Decimal):
        return decimal_problem(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"{value} is not a finite number"
        return decimal_problem(Decimal(repr(value)))
    return None


class NumberTooLarge(ValueError):
    """Raised by the ``json`` parse hooks below; the caller turns it into its own diagnostic."""


def json_int(text: str) -> int:
    """``parse_int`` hook: refuses long digit strings before ``int()`` (quadratic) sees them."""
    if len(text) > MAX_DIGITS + 1 and len(text.lstrip("-").lstrip("0")) > MAX_DIGITS:
        raise NumberTooLarge(f"integer of {len(text.lstrip('-'))} digits (at most {MAX_DIGITS})")
    return int(text)


def json_float(text: str) -> Decimal:
    """``parse_float`` hook: the exact ``Decimal``, within the digit and exponent bounds."""
    if len(text) > MAX_NUMBER_TEXT:
        raise NumberTooLarge(f"number written with {len(text)} characters")
    value = Decimal(text)
    problem = decimal_problem(value)
    if problem is not None:
        raise NumberTooLarge(problem)
    return value if not value.is_zero() else Decimal(0).copy_sign(value)


def json_constant(text: str) -> Any:
    """``parse_constant`` hook: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON numbers."""
    raise NumberTooLarge(f"{text} is not a JSON number")


def bracket_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in JSON (or TOML) text, double-quoted strings skipped.

    Cheap when shallow: text with at most MAX_DEPTH openers returns 0 without a scan. Run before
    a recursive parser (``json``, ``tomllib``) so that ``[[[[...`` never reaches it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper than MAX_DEPTH: the exact figure does not matter
    brackets = re.sub(r"[^\[\]{}]+", "", re.sub(r'"(?:[^"\\]|\\.)*"', "", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}
