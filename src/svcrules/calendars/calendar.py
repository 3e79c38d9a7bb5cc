"""Calendars: the indexed working-day calendar (`Calendar`) and the shared built-in instances."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from svcrules.calendars import business
from svcrules.calendars.coerce import (
    _MAX_ORD,
    _MIN_ORD,
    MAX_YEAR,
    MIN_YEAR,
    _as_date,
    _check_ordinal,
    _duration,
    _pack_error,
    _utc,
)
from svcrules.calendars.data import (
    _DEFAULT_TZ,
    _announced_through,
    _resolve_country,
)
from svcrules.calendars.hours import HoursMapping, OpeningHours, _parse_cutoff
from svcrules.calendars.index import _MARGIN_YEARS, _Index, build_index, classify_days
from svcrules.calendars.steps import BusinessHoursSteps, WorkdaySteps

_UNSET: Final = object()

# tzinfo types whose utcoffset() is never None, so astimezone() needs no checks first.
_AWARE: Final = frozenset({timezone, ZoneInfo})


class Calendar:
    """A business calendar: which local dates are working days, opening hours and a cut-off.

    Immutable from the outside and safe to share between threads; the working-day index is
    built on first use for a few years around the date asked for and widened when a query runs
    past it (built under a lock, then swapped in whole, so readers never see half an index).
    """

    __slots__ = (
        "_code",
        "_confirmed",
        "_cutoff",
        "_extra_holidays",
        "_extra_workdays",
        "_hours",
        "_ix",
        "_lock",
        "_name",
        "_shared_as",
        "_subdiv",
        "_tz",
    )

    _ix: _Index | None

    def __init__(
        self,
        code: str = "CN",
        *,
        timezone: str | None = None,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        hours: OpeningHours | HoursMapping | str | None = None,
        cutoff: time | str | None = None,
        confirmed_through: int | None = None,
        name: str | None = None,
    ) -> None:
        country, subdiv = _resolve_country(code)
        zone = timezone or _DEFAULT_TZ.get(country, "UTC")
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise _pack_error(
                "calendar.bad-timezone",
                f"{zone!r} is not a time zone",
                hint="use an IANA name such as Asia/Shanghai",
            ) from None
        offs = frozenset(_as_date(d, "extra holiday") for d in extra_holidays)
        ons = frozenset(_as_date(d, "extra working day") for d in extra_workdays)
        both = sorted(offs & ons)
        if both:
            raise _pack_error(
                "calendar.conflicting-days",
                f"{both[0].isoformat()} is both an extra holiday and an extra working day",
            )
        for d in (*offs, *ons):
            _check_ordinal(d.toordinal())
        if confirmed_through is not None and (
            isinstance(confirmed_through, bool)
            or not isinstance(confirmed_through, int)
            or not MIN_YEAR - 1 <= confirmed_through <= MAX_YEAR
        ):
            raise _pack_error(
                "calendar.bad-confirmed-through",
                f"{confirmed_through!r} is not a year",
                hint=f"give the last announced year, between {MIN_YEAR - 1} and {MAX_YEAR}",
            )
        self._code = country if subdiv is None else f"{country}-{subdiv}"
        self._subdiv = subdiv
        self._name = name or self._code
        self._tz = tz
        self._hours = OpeningHours.parse(hours)
        self._cutoff = _parse_cutoff(cutoff)
        self._extra_holidays = offs
        self._extra_workdays = ons
        self._confirmed: object = _UNSET if confirmed_through is None else confirmed_through
        self._ix = None
        self._lock = threading.Lock()
        self._shared_as: tuple[Any, ...] | None = None

    # -- read-only attributes --

    @property
    def name(self) -> str:
        return self._name

    @property
    def code(self) -> str:
        """Country code of the holiday data (``CN``, ``US-CA``)."""
        return self._code

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def cutoff(self) -> time | None:
        return self._cutoff

    @property
    def hours(self) -> OpeningHours:
        return self._hours

    @property
    def extra_holidays(self) -> frozenset[date]:
        return self._extra_holidays

    @property
    def extra_workdays(self) -> frozenset[date]:
        return self._extra_workdays

    @property
    def confirmed_through(self) -> int | None:
        """Last year whose official schedule is known; later years are projected.

        For CN it defaults to the last year with make-up working days in the holiday data
        (worked out once per process, on first use); for other countries to None.
        """
        found = self._confirmed
        if found is _UNSET:
            found = (
                _announced_through(self._code.partition("-")[0], self._subdiv)
                if self._code.startswith("CN")
                else None
            )
            self._confirmed = found
        assert found is None or isinstance(found, int)
        return found

    def is_projected(self, year: int) -> bool:
        """Whether ``year``'s holidays are the package's projection, not an announced schedule."""
        last = self.confirmed_through
        return last is not None and year > last

    def __repr__(self) -> str:
        return f"Calendar(name={self._name!r}, code={self._code!r}, tz={self._tz.key!r})"

    # -- pickling and copying: settings only; the lock is new and the index rebuilt on use --

    def __reduce__(self) -> tuple[Any, ...]:
        if self._shared_as is not None:
            from svcrules.calendars.shared import _shared

            return (_shared, self._shared_as)
        return (_blank, (), self.__getstate__())

    def __getstate__(self) -> dict[str, Any]:
        state = {
            slot: getattr(self, slot)
            for slot in self.__slots__
            if slot not in ("_ix", "_lock", "_shared_as")
        }
        if self._confirmed is _UNSET:  # not worked out yet: let the new copy work it out
            del state["_confirmed"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for slot, value in state.items():
            setattr(self, slot, value)
        if "_confirmed" not in state:
            self._confirmed = _UNSET
        self._ix = None
        self._lock = threading.Lock()
        self._shared_as = None

    # -- the index --

    def _build(self, lo: int, hi: int) -> _Index:
        return build_index(
            self._code.partition("-")[0],
            self._subdiv,
            self._extra_holidays,
            self._extra_workdays,
            lo,
            hi,
        )

    def _cover(self, lo_ord: int, hi_ord: int) -> _Index:
        """An index covering both ordinals (widened and swapped in if needed)."""
        ix = self._ix
        if ix is not None and ix.base <= lo_ord and hi_ord < ix.base + ix.size:
            return ix
        _check_ordinal(lo_ord)
        _check_ordinal(hi_ord)
        lo_year = date.fromordinal(lo_ord).year
        hi_year = date.fromordinal(hi_ord).year
        with self._lock:
            ix = self._ix
            if ix is not None and ix.lo <= lo_year and hi_year <= ix.hi:
                return ix
            lo = lo_year - _MARGIN_YEARS
            hi = hi_year + _MARGIN_YEARS
            if ix is not None:
                lo, hi = min(lo, ix.lo), max(hi, ix.hi)
            new = self._build(max(lo, MIN_YEAR), min(hi, MAX_YEAR))
            self._ix = new
            return new

    # -- working days --

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (make-up weekend days are; extras override the data)."""
        o = d.toordinal()
        ix = self._ix
        if ix is None or not 0 <= o - ix.base < ix.size:
            ix = self._cover(o, o)
        return ix.work[o - ix.base] == 1

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (before it if n < 0); ``d`` itself when n == 0.

        ``d`` is day 0 whether or not it is a working day. Constant time on a warm index.
        """
        if n == 0:
            return d
        ix = self._ix
        if ix is not None:
            k = d.toordinal() - ix.base
            if 0 <= k < ix.size:
                j = ix.rank[k + 1] + n - 1 if n > 0 else ix.rank[k] + n
                if 0 <= j < ix.count:
                    return ix.days[j]
        return self._add_workdays_slow(d, n)

    def _add_workdays_slow(self, d: date, n: int) -> date:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        o = d.toordinal()
        _check_ordinal(o)
        # Roughly 250 working days a year anywhere; widen by a bit more and retry if short.
        span = abs(n) * 7 // 5 + 15
        while True:
            lo, hi = (o, o + span) if n > 0 else (o - span, o)
            ix = self._cover(max(lo, _MIN_ORD), min(hi, _MAX_ORD))
            k = o - ix.base
            j = ix.rank[k + 1] + n - 1 if n > 0 else ix.rank[k] + n
            if 0 <= j < ix.count:
                return ix.days[j]
            if (n > 0 and hi >= _MAX_ORD) or (n < 0 and lo <= _MIN_ORD):
                _check_ordinal(hi + 1 if n > 0 else lo - 1)
            span *= 2

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; if ``end < start``, minus those in ``[end, start)``.

        The two halves mirror `add_workdays`, so ``add_workdays(s, workdays_between(s, e)) == e``
        for any working day ``e``, and ``workdays_between(s, add_workdays(s, n)) == n``.
        """
        a, b = start.toordinal(), end.toordinal()
        ix = self._cover(min(a, b), max(a, b))
        if b >= a:
            return ix.rank[b - ix.base + 1] - ix.rank[a - ix.base + 1]
        return ix.rank[b - ix.base] - ix.rank[a - ix.base]

    def day_zero(self, instant: datetime) -> tuple[date, bool]:
        """Local start date of a clock, and whether the cut-off moved it to the next working day.

        Anything received strictly after the cut-off counts from the next working day.
        """
        # Hot path (every working-day deadline): an aware datetime converts directly; anything
        # else goes through the checks that name what is wrong.
        if type(instant) is datetime and type(instant.tzinfo) in _AWARE:
            local = instant.astimezone(self._tz)
        else:
            local = _utc(instant).astimezone(self._tz)
        day = local.date()
        cut = self._cutoff
        if cut is not None and local.time() > cut:
            return self.add_workdays(day, 1), True
        return day, False

    def workday_steps(self, start: date, n: int) -> WorkdaySteps:
        """`add_workdays` (start, n) with the holidays, weekends and make-up days it went past."""
        result = self.add_workdays(start, n)
        s, r = start.toordinal(), result.toordinal()
        ix = self._cover(min(s, r), max(s, r))
        span = range(s + 1, r + 1) if n > 0 else range(r, s) if n < 0 else range(0)
        hols, weekends, makeups = classify_days(ix, span)
        lo, hi = min(start, result), max(start, result)
        projected = tuple(y for y in range(lo.year, hi.year + 1) if self.is_projected(y))
        return WorkdaySteps(
            calendar=self._name,
            start=start,
            n=n,
            result=result,
            holidays_skipped=hols,
            weekends_skipped=weekends,
            makeup_workdays=makeups,
            projected_years=projected,
        )

    # -- business hours (arithmetic in `business`) --

    def _spec(self, hours_spec: OpeningHours | HoursMapping | str | None) -> OpeningHours:
        return self._hours if hours_spec is None else OpeningHours.parse(hours_spec)

    def add_business_hours(
        self,
        instant: datetime,
        hours: int | Decimal | float | timedelta,
        hours_spec: OpeningHours | HoursMapping | str | None = None,
    ) -> datetime:
        """The instant when ``hours`` of open time have passed since ``instant``.

        Only time inside open intervals on working days counts, measured as real elapsed time
        (a day on which clocks change has one hour more or less). The result is in the
        calendar's zone and may be the very end of an interval. ``hours_spec`` overrides the
        calendar's own hours. Zero hours returns ``instant`` unchanged (in the calendar's zone).
        Indexed like working days: 500 hours cost about what 1 does on a warm index.
        """
        start = _utc(instant)
        return business.add_business_hours(self, start, _duration(hours), self._spec(hours_spec))

    def business_hours_steps(
        self,
        instant: datetime,
        hours: int | Decimal | float | timedelta,
        hours_spec: OpeningHours | HoursMapping | str | None = None,
    ) -> BusinessHoursSteps:
        """`add_business_hours` with the open spans it counted, in local time."""
        segments: list[tuple[datetime, datetime]] = []
        start, need = _utc(instant), _duration(hours)
        result = business.walk_business_hours(self, start, need, self._spec(hours_spec), segments)
        tz = self._tz
        local = instant.astimezone(tz)
        return BusinessHoursSteps(
            calendar=self._name,
            start=local,
            hours=need,
            result=result,
            segments=tuple((a.astimezone(tz), b.astimezone(tz)) for a, b in segments),
            projected_years=tuple(
                y for y in range(local.year, result.year + 1) if self.is_projected(y)
            ),
        )

    def business_time_between(
        self,
        a: datetime,
        b: datetime,
        hours_spec: OpeningHours | HoursMapping | str | None = None,
    ) -> timedelta:
        """Open time between two instants (negative if ``b`` is before ``a``)."""
        ua, ub = _utc(a, "a"), _utc(b, "b")
        spec = self._spec(hours_spec)
        if ub < ua:
            return -business.business_time_between(self, ub, ua, spec)
        return business.business_time_between(self, ua, ub, spec)

    def replace(self, **changes: object) -> Calendar:
        """A new calendar with some settings changed (same keywords as `calendar`)."""
        args: dict[str, Any] = {
            "code": self._code,
            "timezone": self._tz.key,
            "extra_holidays": self._extra_holidays,
            "extra_workdays": self._extra_workdays,
            "hours": self._hours,
            "cutoff": self._cutoff,
            "confirmed_through": None if self._confirmed is _UNSET else self._confirmed,
            "name": self._name,
        }
        args.update(changes)
        code = args.pop("code")
        return Calendar(code, **args)


def _blank() -> Calendar:
    """An uninitialised calendar for unpickling, filled in by ``__setstate__``."""
    return Calendar.__new__(Calendar)
