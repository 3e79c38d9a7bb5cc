"""Calendars: business-time arithmetic (working days with make-up weekends, opening hours,
cut-offs) over the `holidays` package's data; stdlib and `holidays` only, no packs."""

from svcrules.calendars.calendar import Calendar
from svcrules.calendars.coerce import MAX_YEAR, MIN_YEAR
from svcrules.calendars.hours import OpeningHours
from svcrules.calendars.shared import calendar
from svcrules.calendars.steps import BusinessHoursSteps, WorkdaySteps

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "BusinessHoursSteps",
    "Calendar",
    "OpeningHours",
    "WorkdaySteps",
    "calendar",
]
