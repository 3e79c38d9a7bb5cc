"""Calendars: coercion and bounds of the values calendars take (dates, instants, cut-offs,
durations) and their errors.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError, PackError

MIN_YEAR: Final = 1950


MAX_YEAR: Final = 2200


_DAY_SECONDS: Final = 86_400


_MIN_ORD: Final = date(MIN_YEAR, 1, 1).toordinal()


_MAX_ORD: Final = date(MAX_YEAR, 12, 31).toordinal()


def _pack_error(code: str, message: str, hint: str | None = None) -> PackError:
    return PackError([Diagnostic(code, message, "$", hint=hint)])


def _event_error(code: str, message: str, hint: str | None = None) -> EventError:
    return EventError([Diagnostic(code, message, "$", hint=hint)])


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        raise _pack_error("calendar.bad-date", f"{what} {value!r} must be a date, not a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _pack_error("calendar.bad-date", f"{what} {value!r} is not a date (YYYY-MM-DD)")


def _ordinal_text(o: int) -> str:
    try:
        return date.fromordinal(o).isoformat()
    except (ValueError, OverflowError):
        return f"day {o}"


def _check_ordinal(o: int) -> None:
    if not _MIN_ORD <= o <= _MAX_ORD:
        raise _event_error(
            "calendar.out-of-range",
            f"{_ordinal_text(o)} is outside the years the calendars cover",
            hint=f"dates must fall in {MIN_YEAR}..{MAX_YEAR}",
        )


def _utc(instant: datetime, what: str = "instant") -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise _event_error(
            "event.naive-time",
            f"{what} {instant.isoformat()} has no time zone",
            hint="give an offset (+08:00) or a zone",
        )
    return instant.astimezone(UTC)


def _duration(hours: int | Decimal | float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        out = hours
    elif isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise TypeError(f"hours must be a number or a timedelta, got {type(hours).__name__}")
    elif isinstance(hours, int):
        out = timedelta(hours=hours)
    else:
        if not (hours.is_finite() if isinstance(hours, Decimal) else math.isfinite(hours)):
            raise _event_error("calendar.bad-duration", f"{hours} hours is not a finite amount")
        try:
            # Decimal keeps 0.1 h exact; float goes through Decimal too so both round alike.
            micro = (Decimal(hours) * 3_600_000_000).to_integral_value()
        except InvalidOperation:
            raise _event_error("calendar.bad-duration", f"{hours} hours is not a number") from None
        out = timedelta(microseconds=int(micro))
    if out < timedelta(0):
        raise _event_error(
            "calendar.negative-duration", f"cannot add a negative amount of business time ({out})"
        )
    return out
