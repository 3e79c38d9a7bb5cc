"""Calendars: the indexed working-day calendar (`Calendar`) and the shared built-in instances."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from svcrules.calendars.coerce import (
    _DAY_SECONDS,
    _MAX_ORD,
    _MIN_ORD,
    MAX_YEAR,
    MIN_YEAR,
    _as_date,
    _check_ordinal,
    _duration,
    _event_error,
    _pack_error,
    _utc,
)
from svcrules.calendars.data import (
    _DEFAULT_TZ,
    _EXTRA_HOLIDAY,
    _announced_through,
    _country_holidays,
    _resolve_country,
)
from svcrules.calendars.hours import OpeningHours, _parse_cutoff
from svcrules.calendars.steps import BusinessHoursSteps, WorkdaySteps

# The index is built a few years around the first date asked for, then widened on demand.
_MARGIN_YEARS: Final = 3


# A calendar whose open hours never come round in this many days would loop for nothing.
_MAX_CLOSED_DAYS: Final = 800


@dataclass(frozen=True, slots=True)
class _Index:
    """Working days of the years ``lo..hi``, as arrays over day ordinals.

    ``rank[k]`` counts working days in ``[base, base + k)``, so "how many working days up to a
    date" is one subscript and the n-th next working day is ``days[rank + n - 1]``: the cost does
    not grow with n. ``days`` holds prebuilt `date` objects so the hot path allocates nothing.
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


_UNSET: Final = object()


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
        hours: OpeningHours | Mapping[Any, Any] | str | None = None,
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

    # -- the index --

    def _build(self, lo: int, hi: int) -> _Index:
        # One year more than needed: a schedule may move a working day into the year before.
        data = _country_holidays(
            self._code.partition("-")[0], self._subdiv, range(lo, min(hi + 1, MAX_YEAR) + 1)
        )
        weekend = frozenset(int(w) for w in data.weekend)
        makeup = {d.toordinal() for d in data.weekend_workdays}
        base = date(lo, 1, 1).toordinal()
        end = date(hi + 1, 1, 1).toordinal()
        names: dict[int, str] = {}
        for d, label in data.items():
            o = d.toordinal()
            if base <= o < end:
                names[o] = str(label)
        offs = {d.toordinal() for d in self._extra_holidays}
        ons = {d.toordinal() for d in self._extra_workdays}
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
        hols: list[tuple[date, str]] = []
        weekends: list[date] = []
        makeups: list[date] = []
        for o in span:
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
        lo, hi = min(start, result), max(start, result)
        projected = tuple(y for y in range(lo.year, hi.year + 1) if self.is_projected(y))
        return WorkdaySteps(
            calendar=self._name,
            start=start,
            n=n,
            result=result,
            holidays_skipped=tuple(hols),
            weekends_skipped=tuple(weekends),
            makeup_workdays=tuple(makeups),
            projected_years=projected,
        )

    # -- business hours --

    def _wall(self, d: date, seconds: int) -> datetime:
        """The instant (UTC) of a local wall-clock time on ``d``; 86400 is the next midnight.

        A wall time that repeats (DST ends) is its first occurrence; one that does not exist
        (DST starts) takes the offset from before the change (PEP 495, fold=0).
        """
        if seconds >= _DAY_SECONDS:
            d = d + timedelta(days=1)
            seconds -= _DAY_SECONDS
        h, rest = divmod(seconds, 3600)
        m, s = divmod(rest, 60)
        return datetime(d.year, d.month, d.day, h, m, s, tzinfo=self._tz).astimezone(UTC)

    def _open_spans(
        self, start: datetime, spec: OpeningHours
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open spans (UTC) from ``start`` on, in order, the first clipped to begin at ``start``."""
        d = start.astimezone(self._tz).date()
        closed = 0
        one = timedelta(days=1)
        while True:
            found = False
            if self.is_workday(d):
                for a_s, b_s in spec.for_weekday(d.weekday()):
                    a, b = self._wall(d, a_s), self._wall(d, b_s)
                    if b <= start or b <= a:
                        continue
                    found = True
                    yield (a if a > start else start), b
            closed = 0 if found else closed + 1
            if closed > _MAX_CLOSED_DAYS:
                raise _event_error(
                    "calendar.no-open-hours",
                    f"calendar {self._name!r} has no open hours for {_MAX_CLOSED_DAYS} days",
                )
            d += one

    def _count_hours(
        self,
        instant: datetime,
        hours: int | Decimal | float | timedelta,
        hours_spec: OpeningHours | Mapping[Any, Any] | str | None,
        segments: list[tuple[datetime, datetime]] | None,
    ) -> datetime:
        start = _utc(instant)
        need = _duration(hours)
        spec = self._hours if hours_spec is None else OpeningHours.parse(hours_spec)
        if not need:
            return start.astimezone(self._tz)
        for a, b in self._open_spans(start, spec):
            avail = b - a
            if need <= avail:
                if segments is not None:
                    segments.append((a, a + need))
                return (a + need).astimezone(self._tz)
            need -= avail
            if segments is not None:
                segments.append((a, b))
        raise AssertionError("unreachable: _open_spans never ends")  # pragma: no cover

    def add_business_hours(
        self,
        instant: datetime,
        hours: int | Decimal | float | timedelta,
        hours_spec: OpeningHours | Mapping[Any, Any] | str | None = None,
    ) -> datetime:
        """The instant when ``hours`` of open time have passed since ``instant``.

        Only time inside open intervals on working days counts, measured as real elapsed time
        (a day on which clocks change has one hour more or less). The result is in the
        calendar's zone and may be the very end of an interval. ``hours_spec`` overrides the
        calendar's own hours. Zero hours returns ``instant`` unchanged (in the calendar's zone).
        """
        return self._count_hours(instant, hours, hours_spec, None)

    def business_hours_steps(
        self,
        instant: datetime,
        hours: int | Decimal | float | timedelta,
        hours_spec: OpeningHours | Mapping[Any, Any] | str | None = None,
    ) -> BusinessHoursSteps:
        """`add_business_hours` with the open spans it counted, in local time."""
        segments: list[tuple[datetime, datetime]] = []
        result = self._count_hours(instant, hours, hours_spec, segments)
        tz = self._tz
        local = instant.astimezone(tz)
        return BusinessHoursSteps(
            calendar=self._name,
            start=local,
            hours=_duration(hours),
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
        hours_spec: OpeningHours | Mapping[Any, Any] | str | None = None,
    ) -> timedelta:
        """Open time between two instants (negative if ``b`` is before ``a``)."""
        ua, ub = _utc(a, "a"), _utc(b, "b")
        if ub < ua:
            return -self.business_time_between(b, a, hours_spec)
        spec = self._hours if hours_spec is None else OpeningHours.parse(hours_spec)
        total = timedelta(0)
        if ua == ub:
            return total
        for s, e in self._open_spans(ua, spec):
            if s >= ub:
                break
            total += (e if e < ub else ub) - s
        return total

    def replace(self, **changes: Any) -> Calendar:
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


@lru_cache(maxsize=64)
def _shared(
    code: str,
    timezone: str | None,
    hours: OpeningHours | str | None,
    cutoff: time | str | None,
    confirmed_through: int | None,
    name: str | None,
) -> Calendar:
    return Calendar(
        code,
        timezone=timezone,
        hours=hours,
        cutoff=cutoff,
        confirmed_through=confirmed_through,
        name=name,
    )


def calendar(
    code: str = "CN",
    *,
    timezone: str | None = None,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    hours: OpeningHours | Mapping[Any, Any] | str | None = None,
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
