"""Hypothesis strategies: raw events drawn from a pack's own vocabulary (``pack.spec.events``).

Every declared field gets values of its type (enums from their values), optional fields are
sometimes left out, and numbers cluster around the values the pack's rules compare with
(``near``), so boundaries are hit, not only the wide open middle. Events are raw mappings, as a
caller sends them; some are invalid on purpose only through absent optional fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from svcrules.pack.schema import Pack
from svcrules.testing.strategies import instants as instants  # re-exported for the tests

_TEXT = st.text(alphabet=st.sampled_from("aZ09-_ é中\"'\\"), max_size=6)


def numbers(near: Iterable[Decimal] = ()) -> st.SearchStrategy[Decimal]:
    """Decimals: the given values, a hair either side of them, and anything finite."""
    near = sorted(set(near))
    tiny = st.sampled_from([Decimal(0), Decimal("1e-30"), Decimal("0.001"), Decimal("0.5"), 1])
    around = (
        st.builds(
            lambda c, t, sign: c + sign * t, st.sampled_from(near), tiny, st.sampled_from([-1, 1])
        )
        if near
        else st.nothing()
    )
    return st.one_of(
        around,
        st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
            lambda d: d.is_finite() and abs(d.adjusted()) < 400
        ),
        st.integers(-(10**20), 10**20).map(Decimal),
    )


def field_values(
    ftype: str, values: Iterable[str] | None, near: Iterable[Decimal]
) -> st.SearchStrategy[Any]:
    match ftype:
        case "enum":
            return st.sampled_from(sorted(values or ()))
        case "string":
            return _TEXT
        case "int":
            near_ints = [int(c) for c in near if c == int(c)]
            return st.one_of(
                st.integers(-(10**20), 10**20),
                st.sampled_from(near_ints or [0]).flatmap(lambda c: st.integers(c - 2, c + 2)),
            )
        case "number":
            return numbers(near).map(lambda d: d if d.adjusted() > 20 else str(d))
        case "bool":
            return st.booleans()
        case "datetime":
            return instants().map(lambda t: t.isoformat())
        case "date":
            return st.dates(dt.date(1990, 1, 1), dt.date(2080, 12, 31)).map(dt.date.isoformat)
        case "list":
            return st.lists(_TEXT, max_size=3)
    raise AssertionError(f"no strategy for field type {ftype!r}")


def events(
    pack: Pack,
    *,
    near: Iterable[Decimal] = (),
    at: st.SearchStrategy[dt.datetime] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Raw events of every type ``pack`` declares, from its vocabulary."""
    near = tuple(near)
    per_type = []
    for etype, ev in sorted(pack.spec.events.items()):
        required: dict[str, st.SearchStrategy[Any]] = {
            "type": st.just(etype),
            "at": (at if at is not None else instants()).map(lambda t: t.isoformat()),
        }
        optional: dict[str, st.SearchStrategy[Any]] = {
            "id": st.one_of(_TEXT, st.integers(0, 10**6)),
            "case": _TEXT,
            "subject": _TEXT,
        }
        for name, f in ev.fields.items():
            strategy = field_values(f.type, f.values, near)
            if f.required:
                required[name] = strategy
                optional.pop(name, None)
            else:
                optional[name] = st.one_of(st.none(), strategy)
        per_type.append(st.fixed_dictionaries(required, optional=optional))
    return st.one_of(per_type)
