"""Calendars: how a working-day or business-hour result was worked out, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class WorkdaySteps:
    """How ``add_workdays(start, n)`` was worked out: every non-trivial day on the way.

    The days looked at are ``(start, result]`` forwards and ``[result, start)`` backwards.
    """

    calendar: str
    start: date
    n: int
    result: date
    holidays_skipped: tuple[tuple[date, str], ...]
    weekends_skipped: tuple[date, ...]
    makeup_workdays: tuple[date, ...]
    projected_years: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "start": self.start.isoformat(),
            "n": self.n,
            "result": self.result.isoformat(),
            "holidays_skipped": [
                {"date": d.isoformat(), "name": name} for d, name in self.holidays_skipped
            ],
            "weekends_skipped": [d.isoformat() for d in self.weekends_skipped],
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
            "projected_years": list(self.projected_years),
        }


@dataclass(frozen=True, slots=True)
class BusinessHoursSteps:
    """How ``add_business_hours(start, hours)`` was worked out: the open spans it counted."""

    calendar: str
    start: datetime
    hours: timedelta
    result: datetime
    segments: tuple[tuple[datetime, datetime], ...]
    projected_years: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "start": self.start.isoformat(),
            "hours": self.hours.total_seconds() / 3600,
            "result": self.result.isoformat(),
            "segments": [[a.isoformat(), b.isoformat()] for a, b in self.segments],
            "projected_years": list(self.projected_years),
        }
