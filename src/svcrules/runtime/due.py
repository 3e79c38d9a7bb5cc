"""Runtime: due-time arithmetic (elapsed, calendar-day, month, working-day and business-hour units)
and period labels.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from svcrules.calendars import Calendar
from svcrules.limits import number_problem
from svcrules.runtime.zones import fixed_offset

DAY_UNITS = frozenset({"days", "workdays", "months"})


END_OF_DAY = dt.time(23, 59, 59)
_LAST_END_OF_DAY = dt.time(23, 59, 59, fold=1)


@functools.lru_cache(maxsize=4096)
def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """A day-granular deadline is due at the end of its local date (shown as 23:59:59), as a
    fixed offset: the later of a repeated 23:59:59 (a zone whose clocks go back at midnight),
    so the next local day starts one second after it."""
    return fixed_offset(dt.datetime.combine(day, _LAST_END_OF_DAY, tzinfo=tz))


def _bounded(amount: int | Decimal, unit: str) -> None:
    """Refuse an amount out of bounds before ``int()`` (quadratic in a decimal's exponent)."""
    problem = number_problem(amount)
    if problem is not None:
        raise ValueError(f"a deadline of {unit} needs a number within bounds: {problem}")


def _whole(amount: int | Decimal, unit: str) -> int:
    if type(amount) is int and -1_000_000 < amount < 1_000_000:  # the common case, at once
        return amount
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"a deadline of {unit} needs a number, got {type(amount).__name__}")
    _bounded(amount, unit)
    if amount != int(amount):
        raise ValueError(f"a deadline of {unit} needs a whole number, got {amount}")
    return int(amount)


@functools.lru_cache(maxsize=1024, typed=True)
def _elapsed(unit: str, amount: int | Decimal) -> dt.timedelta:
    if type(amount) is int:  # the common case, without Decimal arithmetic
        return dt.timedelta(minutes=amount) if unit == "minutes" else dt.timedelta(hours=amount)
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"a deadline of {unit} needs a number, got {type(amount).__name__}")
    _bounded(amount, unit)
    seconds = Decimal(amount) * (60 if unit == "minutes" else 3600)
    return dt.timedelta(seconds=int(seconds), microseconds=int((seconds % 1) * 1_000_000))


def _shifted(at: dt.datetime, delta: dt.timedelta, tz: ZoneInfo) -> tuple[dt.datetime, dt.date]:
    """``at`` moved by ``delta`` of elapsed time, at ``tz``'s offset then, and its local date."""
    if type(at.tzinfo) is not dt.timezone:  # a zone with DST: elapsed time, not wall time
        at = at.astimezone(dt.UTC)
    due = at + delta  # a fixed offset: aware + timedelta is exact
    local = due.astimezone(tz)
    if local.utcoffset() == due.utcoffset():  # the event's offset is the zone's: due is it
        return due, local.date()
    return fixed_offset(local), local.date()


def due_after(
    unit: str, amount: int | Decimal, start: dt.datetime, tz: ZoneInfo, cal: Calendar | None
) -> tuple[dt.datetime, dt.date]:
    """Due instant and due local date of a clock of ``amount`` ``unit`` started at ``start``."""
    if unit in ("minutes", "hours"):
        return _shifted(start, _elapsed(unit, amount), tz)
    if unit == "days":
        day = start.astimezone(tz).date() + dt.timedelta(days=_whole(amount, unit))
    elif unit == "months":
        day = start.astimezone(tz).date() + relativedelta(months=_whole(amount, unit))
    elif unit == "workdays":
        assert cal is not None
        day0, _ = cal.day_zero(start)
        day = cal.add_workdays(day0, _whole(amount, unit))
        tz = cal.tz
    elif unit == "business_hours":
        assert cal is not None
        if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            raise TypeError(f"a deadline of {unit} needs a number, got {type(amount).__name__}")
        _bounded(amount, unit)
        # in the calendar's zone; a whole number of hours skips the Decimal conversion
        due = cal.add_business_hours(start, amount if type(amount) is int else Decimal(amount))
        return fixed_offset(due), due.date()
    else:  # pragma: no cover - the schema admits no other unit
        raise ValueError(f"unknown unit {unit!r}")
    return end_of_day(day, tz), day


def due_before(
    unit: str, amount: int | Decimal, ref: dt.datetime, tz: ZoneInfo, cal: Calendar | None
) -> tuple[dt.datetime, dt.date]:
    """Notice deadline counted back from ``ref``: by date for day units, exact for hours."""
    if unit in ("minutes", "hours"):
        return _shifted(ref, -_elapsed(unit, amount), tz)
    if unit == "business_hours":
        raise ValueError("a notice deadline cannot be counted back in business hours")
    if unit == "days":
        day = ref.astimezone(tz).date() - dt.timedelta(days=_whole(amount, unit))
    elif unit == "months":
        day = ref.astimezone(tz).date() - relativedelta(months=_whole(amount, unit))
    else:
        assert cal is not None
        tz = cal.tz
        day = cal.add_workdays(ref.astimezone(tz).date(), -_whole(amount, unit))
    return end_of_day(day, tz), day


def require_instant(value: Any, field_name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{field_name} must be a date-time, got {type(value).__name__}")
    return value


def period_label(at: dt.datetime, period: str, tz: ZoneInfo) -> str:
    """``2024-03-05`` (day), ``2024-03`` (month), ``2024-W09`` (ISO week), ``2024-Q1``
    (quarter), ``2024`` (year);
    ``cycle:YEARS:START`` (a multi-year cycle from the local date START) gives ``2024..2026``, or
    ``2024-07-01..2027-06-30`` when START is not the 1st of January."""
    local = at.astimezone(tz)
    if period.startswith("cycle:"):
        first, last = cycle_bounds(local.date(), period)
        if (first.month, first.day) == (1, 1):
            return f"{first.year:04d}..{last.year:04d}"
        return f"{first.isoformat()}..{last.isoformat()}"
    if period == "day":
        return local.date().isoformat()
    if period == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period == "quarter":
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year:04d}"


@functools.lru_cache(maxsize=64)
def _cycle(period: str) -> tuple[int, dt.date]:
    _, years, start = period.split(":")
    return int(years), dt.date.fromisoformat(start)


def cycle_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """First and last local date of the ``cycle:YEARS:START`` period holding ``day``."""
    years, start = _cycle(period)
    k = (day.year - start.year) // years
    first = start + relativedelta(years=k * years)
    if first > day:
        first = start + relativedelta(years=(k - 1) * years)
    elif start + relativedelta(years=(k + 1) * years) <= day:
        first = start + relativedelta(years=(k + 1) * years)
    last = first + relativedelta(years=years) - dt.timedelta(days=1)
    return first, last
