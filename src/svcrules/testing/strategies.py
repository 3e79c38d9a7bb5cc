"""Testing: hypothesis strategies for a pack's events, drawn from its declared vocabulary.

``events(pack, types=...)`` gives raw events (mappings, as a caller sends them) that the pack
accepts: every required field, optional fields sometimes, values of each field's type (enums from
their values, aware datetimes with assorted UTC offsets, exact decimals). A policy author writes
property tests with it (see docs/authoring.md)::

    @given(events(pack, types=["fault.reported"]))
    def test_every_fault_report_gets_exactly_one_arrival_deadline(event): ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from svcrules.pack import load_pack
from svcrules.pack.schema import Pack
from svcrules.runtime.derived import DERIVED_EVENTS

_OFFSETS = st.sampled_from([0, 8 * 60, -5 * 60, 5 * 60 + 30, 14 * 60, -12 * 60])
_TEXT = st.text(alphabet=st.sampled_from("aZ09-_ é中\"'\\"), min_size=1, max_size=8)


def instants(
    lo: dt.datetime = dt.datetime(2000, 1, 1), hi: dt.datetime = dt.datetime(2060, 12, 31)
) -> st.SearchStrategy[dt.datetime]:
    """Aware instants (naive ``lo``/``hi`` bounds) with assorted UTC offsets."""
    return st.builds(
        lambda t, minutes: t.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))),
        st.datetimes(min_value=lo, max_value=hi),
        _OFFSETS,
    )


def numbers(near: Iterable[Decimal] = ()) -> st.SearchStrategy[Decimal]:
    """Exact decimals of a sensible size, clustered around ``near`` (the values rules compare
    with) so that boundaries are hit."""
    around = sorted(set(near))
    tiny = st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("0.5"), Decimal(1)])
    close = (
        st.builds(
            lambda c, t, s: c + s * t, st.sampled_from(around), tiny, st.sampled_from([-1, 1])
        )
        if around
        else st.nothing()
    )
    wide = st.decimals(
        min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=3
    )
    return st.one_of(close, wide)


def field_values(
    ftype: str, values: Iterable[str] | None = None, near: Iterable[Decimal] = ()
) -> st.SearchStrategy[Any]:
    """Valid values of one declared field type."""
    near = tuple(near)
    match ftype:
        case "enum":
            return st.sampled_from(sorted(values or ()))
        case "string":
            return _TEXT
        case "int":
            return st.one_of(
                st.integers(-(10**9), 10**9),
                st.sampled_from([int(c) for c in near if c == int(c)] or [0]),
            )
        case "number":
            return numbers(near)
        case "bool":
            return st.booleans()
        case "datetime":
            return instants().map(lambda t: t.isoformat())
        case "date":
            return st.dates(dt.date(1990, 1, 1), dt.date(2080, 12, 31)).map(dt.date.isoformat)
        case "list":
            return st.lists(_TEXT, max_size=3)
    raise ValueError(f"no strategy for field type {ftype!r}")


def events(
    pack: Pack | str | Path,
    types: Iterable[str] | None = None,
    *,
    near: Iterable[Decimal] = (),
    at: st.SearchStrategy[dt.datetime] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid raw events of ``types`` (default: every type the pack declares itself, not the
    ledger's derived ones), each with an ``id``, an aware ``at`` (from ``at`` if given) and
    sometimes a ``case`` and a ``subject``."""
    spec = (pack if isinstance(pack, Pack) else load_pack(pack)).spec
    wanted = sorted(types) if types is not None else sorted(set(spec.events) - set(DERIVED_EVENTS))
    unknown = [t for t in wanted if t not in spec.events]
    if unknown or not wanted:
        raise ValueError(f"pack {spec.pack!r} declares no event type {unknown or wanted}")
    near = tuple(near)
    per_type = []
    for etype in wanted:
        required: dict[str, st.SearchStrategy[Any]] = {
            "id": _TEXT,
            "type": st.just(etype),
            "at": (at if at is not None else instants()).map(lambda t: t.isoformat()),
        }
        optional: dict[str, st.SearchStrategy[Any]] = {"case": _TEXT, "subject": _TEXT}
        for name, f in spec.events[etype].fields.items():
            values = field_values(f.type, f.values, near)
            if f.required:
                required[name] = values
                optional.pop(name, None)
            else:
                optional[name] = values
        per_type.append(st.fixed_dictionaries(required, optional=optional))
    return st.one_of(per_type)
