"""Calendars: the working-day index a `Calendar` builds over a span of years, as arrays over day
ordinals, and the per-opening-hours caches that hang off it."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from svcrules.calendars.coerce import MAX_YEAR
from svcrules.calendars.data import _EXTRA_HOLIDAY, _country_holidays

# The index is built a few years around the first date asked for, then widened on demand.
_MARGIN_YEARS: Final = 3


@dataclass(frozen=True, slots=True)
class _Index:
    """Working days of the years ``lo..hi``, as arrays over day ordinals.

    ``rank[k]`` counts working days in ``[base, base + k)``, so "how many working days up to a
    date" is one subscript and the n-th next working day is ``days[rank + n - 1]``: the cost does
    not grow with n. ``days`` holds prebuilt `date` objects so the hot path allocates nothing.
    ``hours`` caches, per set of opening hours, the business-hour index over the same days
    (see `business`); it is dropped with the index when the index is widened.
    """

    lo: int
    hi: int
    base: int
    size: int
    work: bytes
    rank: list[int]
    ords: list[int]
    days: list[date]
    count: int
    names: dict[int, str]
    weekend: frozenset[int]
    hours: dict[Any, Any] = field(default_factory=dict, compare=False)


def build_index(
    country: str,
    subdiv: str | None,
    extra_holidays: Set[date],
    extra_workdays: Set[date],
    lo: int,
    hi: int,
) -> _Index:
    """The working days of years ``lo..hi`` from the package's data and the caller's extra days."""
    # One year more than needed: a schedule may move a working day into the year before.
    data = _country_holidays(country, subdiv, range(lo, min(hi + 1, MAX_YEAR) + 1))
    weekend = frozenset(int(w) for w in data.weekend)
    makeup = {d.toordinal() for d in data.weekend_workdays}
    base = date(lo, 1, 1).toordinal()
    end = date(hi + 1, 1, 1).toordinal()
    names: dict[int, str] = {}
    for d, label in data.items():
        o = d.toordinal()
        if base <= o < end:
            names[o] = str(label)
    offs = {d.toordinal() for d in extra_holidays}
    ons = {d.toordinal() for d in extra_workdays}
    for o in offs:
        if base <= o < end:
            names.setdefault(o, _EXTRA_HOLIDAY)
    size = end - base
    work = bytearray(size)
    rank = [0] * (size + 1)
    ords: list[int] = []
    count = 0
    for k in range(size):
        o = base + k
        if o in ons:
            ok = True
        elif o in offs:
            ok = False
        elif (o - 1) % 7 in weekend:  # ordinal 1 (0001-01-01) is a Monday
            ok = o in makeup
        else:
            ok = o not in names
        if ok:
            work[k] = 1
            ords.append(o)
            count += 1
        rank[k + 1] = count
    return _Index(
        lo=lo,
        hi=hi,
        base=base,
        size=size,
        work=bytes(work),
        rank=rank,
        ords=ords,
        days=[date.fromordinal(o) for o in ords],
        count=count,
        names=names,
        weekend=weekend,
    )


def classify_days(
    ix: _Index, ordinals: Iterable[int]
) -> tuple[tuple[tuple[date, str], ...], tuple[date, ...], tuple[date, ...]]:
    """The named days off, weekend days off and make-up working days among ``ordinals``."""
    hols: list[tuple[date, str]] = []
    weekends: list[date] = []
    makeups: list[date] = []
    for o in ordinals:
        weekend = (o - 1) % 7 in ix.weekend
        if ix.work[o - ix.base]:
            if weekend:
                makeups.append(date.fromordinal(o))
        elif o in ix.names:
            hols.append((date.fromordinal(o), ix.names[o]))
        elif weekend:
            weekends.append(date.fromordinal(o))
        else:  # pragma: no cover - a weekday off always has a name
            hols.append((date.fromordinal(o), _EXTRA_HOLIDAY))
    return tuple(hols), tuple(weekends), tuple(makeups)
