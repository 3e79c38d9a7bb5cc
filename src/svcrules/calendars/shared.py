"""Calendars: the `calendar` factory, which hands out one shared `Calendar` per setting so each
index is built once per process."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from functools import lru_cache

from svcrules.calendars.calendar import Calendar
from svcrules.calendars.hours import HoursMapping, OpeningHours


@lru_cache(maxsize=64)
def _shared(
    code: str,
    timezone: str | None,
    hours: OpeningHours | str | None,
    cutoff: time | str | None,
    confirmed_through: int | None,
    name: str | None,
) -> Calendar:
    cal = Calendar(
        code,
        timezone=timezone,
        hours=hours,
        cutoff=cutoff,
        confirmed_through=confirmed_through,
        name=name,
    )
    # A shared calendar pickles as this call, so unpickling finds the process's own instance.
    cal._shared_as = (code, timezone, hours, cutoff, confirmed_through, name)
    return cal


def calendar(
    code: str = "CN",
    *,
    timezone: str | None = None,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    hours: OpeningHours | HoursMapping | str | None = None,
    cutoff: time | str | None = None,
    confirmed_through: int | None = None,
    name: str | None = None,
) -> Calendar:
    """A business calendar for an ISO country code (``CN`` by default; ``US``, ``DE``, ``US-CA``).

    ``CN`` uses the State Council schedule from the `holidays` package, make-up working days
    included, in Asia/Shanghai; other codes use that country's weekend and public holidays, in
    UTC unless ``timezone`` is given. Raises `PackError` (``calendar.unknown-country``,
    ``calendar.bad-hours``, ``calendar.bad-cutoff``, ...) for settings it cannot use. Calendars
    without extra days are shared, so their index is built once per process.
    """
    offs, ons = tuple(extra_holidays), tuple(extra_workdays)
    if not offs and not ons and (hours is None or isinstance(hours, str | OpeningHours)):
        try:
            return _shared(code, timezone, hours, cutoff, confirmed_through, name)
        except TypeError:  # an unhashable argument: build a private one below
            pass
    return Calendar(
        code,
        timezone=timezone,
        extra_holidays=offs,
        extra_workdays=ons,
        hours=hours,
        cutoff=cutoff,
        confirmed_through=confirmed_through,
        name=name,
    )
