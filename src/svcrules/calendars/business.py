"""Calendars: business-hour arithmetic over a `Calendar`'s working days and opening hours, with
open seconds per day indexed beside the working-day index so long amounts cost what short
ones do."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from svcrules.calendars.coerce import _DAY_SECONDS, _MAX_ORD, _check_ordinal, _event_error
from svcrules.calendars.hours import Interval, OpeningHours
from svcrules.calendars.index import _Index

if TYPE_CHECKING:
    from svcrules.calendars.calendar import Calendar

# A calendar whose open hours never come round in this many days would loop for nothing.
_MAX_CLOSED_DAYS: Final = 800

# Distinct opening hours cached per index (overrides passed per call); cleared past this.
_MAX_CACHED_HOURS: Final = 32

_MICRO: Final = timedelta(microseconds=1)

_Span = tuple[datetime, datetime]


def wall(tz: ZoneInfo, d: date, seconds: int) -> datetime:
    """The instant (UTC) of a local wall-clock time on ``d``; 86400 is the next midnight.

    A wall time that repeats (DST ends) is its first occurrence; one that does not exist
    (DST starts) takes the offset from before the change (PEP 495, fold=0).
    """
    if seconds >= _DAY_SECONDS:
        d = d + timedelta(days=1)
        seconds -= _DAY_SECONDS
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return datetime(d.year, d.month, d.day, h, m, s, tzinfo=tz).astimezone(UTC)


def _day_spans(tz: ZoneInfo, d: date, intervals: Sequence[Interval]) -> list[_Span]:
    """The open spans (UTC) of working day ``d``: its intervals, less any a clock change empties."""
    out = []
    for a_s, b_s in intervals:
        a, b = wall(tz, d, a_s), wall(tz, d, b_s)
        if b > a:
            out.append((a, b))
    return out


def open_spans(
    cal: Calendar, start: datetime, spec: OpeningHours, day: date | None = None, closed: int = 0
) -> Iterator[_Span]:
    """Open spans (UTC) from ``start`` on, day by day from ``day`` (``start``'s local date), in
    order, the first clipped to begin at ``start``; ``closed`` days off already passed count
    towards the limit of `_MAX_CLOSED_DAYS`."""
    tz = cal.tz
    d = start.astimezone(tz).date() if day is None else day
    one = timedelta(days=1)
    while True:
        found = False
        if cal.is_workday(d):
            for a, b in _day_spans(tz, d, spec.for_weekday(d.weekday())):
                if b <= start:
                    continue
                found = True
                yield (a if a > start else start), b
        closed = 0 if found else closed + 1
        if closed > _MAX_CLOSED_DAYS:
            raise _no_open_hours(cal)
        d += one


def _no_open_hours(cal: Calendar) -> Exception:
    return _event_error(
        "calendar.no-open-hours",
        f"calendar {cal.name!r} has no open hours for {_MAX_CLOSED_DAYS} days",
    )


@dataclass(frozen=True, slots=True)
class _HoursIndex:
    """Open time per day of an `_Index`, for one set of opening hours.

    ``prefix[k]`` is the open time, in microseconds, of the days ``[base, base + k)``, so the open
    time between two days is a subtraction and the day on which an amount runs out is a
    `bisect`. ``long_closed`` holds the runs ``[s, e)`` of more than `_MAX_CLOSED_DAYS` days
    without open time, so the indexed paths raise where a day-by-day walk would. ``shift[k]``
    is 1 on days whose UTC offset changes; on the others a day's spans are its local midnight
    plus ``week[weekday]``.
    """

    spec: OpeningHours
    prefix: list[int]
    long_closed: tuple[tuple[int, int], ...]
    shift: bytes
    week: tuple[tuple[tuple[timedelta, timedelta], ...], ...]
    weekly_seconds: int

    def spans(self, tz: ZoneInfo, d: date, k: int) -> list[_Span]:
        """The open spans (UTC) of working day ``d`` (day ``k`` of the index)."""
        if self.shift[k]:
            return _day_spans(tz, d, self.spec.for_weekday(d.weekday()))
        m = datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)
        return [(m + a, m + b) for a, b in self.week[d.weekday()]]


def _build_hours(ix: _Index, tz: ZoneInfo, spec: OpeningHours) -> _HoursIndex:
    # A day's open time is the sum of its intervals unless the UTC offset changes that day
    # (between its midnight, its noon and the next midnight); only then are its spans worked
    # out instant by instant.
    plain = [sum(b - a for a, b in spec.for_weekday(w)) * 1_000_000 for w in range(7)]
    offset = tz.utcoffset
    midnight = datetime.fromordinal
    noon = timedelta(hours=12)
    base, size, work = ix.base, ix.size, ix.work
    prefix = [0] * (size + 1)
    shift = bytearray(size)
    runs: list[tuple[int, int]] = []
    run_start = 0
    total = 0
    next_off = offset(midnight(base))
    for k in range(size):
        o = base + k
        off, next_off = next_off, offset(midnight(o + 1))
        if off != next_off or off != offset(midnight(o) + noon):
            shift[k] = 1
        open_us = 0
        if work[k]:
            weekday = (o - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
            open_us = plain[weekday]
            if open_us and shift[k]:
                spans = _day_spans(tz, date.fromordinal(o), spec.for_weekday(weekday))
                open_us = sum((b - a) // _MICRO for a, b in spans)
        if open_us:
            if k - run_start > _MAX_CLOSED_DAYS:
                runs.append((run_start, k))
            run_start = k + 1
            total += open_us
        prefix[k + 1] = total
    if size - run_start > _MAX_CLOSED_DAYS:
        runs.append((run_start, size))
    week = tuple(
        tuple((timedelta(seconds=a), timedelta(seconds=b)) for a, b in spec.for_weekday(w))
        for w in range(7)
    )
    return _HoursIndex(spec, prefix, tuple(runs), bytes(shift), week, sum(plain) // 1_000_000)


def _hours_index(cal: Calendar, ix: _Index, spec: OpeningHours) -> _HoursIndex:
    # The calendar's own hours are keyed by None: hashing an OpeningHours costs more.
    key = None if spec is cal.hours else spec
    found: _HoursIndex | None = ix.hours.get(key)
    if found is None:
        with cal._lock:
            found = ix.hours.get(key)
            if found is None:
                found = _build_hours(ix, cal.tz, spec)
                if len(ix.hours) >= _MAX_CACHED_HOURS:
                    ix.hours.clear()
                ix.hours[key] = found
    return found


def _indexed(cal: Calendar, o: int, spec: OpeningHours) -> tuple[_Index, _HoursIndex]:
    """The index covering day ``o`` and its open-time index for ``spec``."""
    ix = cal._ix
    if ix is None or not 0 <= o - ix.base < ix.size:
        ix = cal._cover(o, o)
    return ix, _hours_index(cal, ix, spec)


def _check_closed(cal: Calendar, hix: _HoursIndex, k_from: int, k_to: int, carry: int) -> None:
    """Raise where a day-by-day walk over days ``[k_from, k_to)`` would: after more than
    `_MAX_CLOSED_DAYS` days in a row without open time, ``carry`` of them before ``k_from``."""
    prefix = hix.prefix
    if k_to > k_from:
        first_open = bisect_right(prefix, prefix[k_from], k_from, k_to + 1) - 1
        if carry + min(first_open, k_to) - k_from > _MAX_CLOSED_DAYS:
            raise _no_open_hours(cal)
    for s, e in hix.long_closed:
        if k_from < s < k_to and min(e, k_to) - s > _MAX_CLOSED_DAYS:
            raise _no_open_hours(cal)


def _first_day(tz: ZoneInfo, ix: _Index, hix: _HoursIndex, d: date, start: datetime) -> list[_Span]:
    """The open spans of ``start``'s local date ``d`` after ``start`` (the first clipped)."""
    k = d.toordinal() - ix.base
    if not ix.work[k]:
        return []
    return [((a if a > start else start), b) for a, b in hix.spans(tz, d, k) if b > start]


def add_business_hours(
    cal: Calendar, start: datetime, need: timedelta, spec: OpeningHours
) -> datetime:
    """The instant ``need`` of open time after ``start`` (UTC in, calendar's zone out).

    The start's own day is walked span by span; the day the rest runs out on is found by a
    binary search of the open-time prefix sums, and only that day's spans are walked. The
    result is the one a day-by-day walk gives, DST days included.
    """
    tz = cal.tz
    if not need:
        return start.astimezone(tz)
    d0 = start.astimezone(tz).date()
    o0 = d0.toordinal()
    ix, hix = _indexed(cal, o0, spec)
    first = _first_day(tz, ix, hix, d0, start)
    for a, b in first:
        if need <= b - a:
            return (a + need).astimezone(tz)
        need -= b - a
    carry = 0 if first else 1
    rest_us = need // _MICRO
    # Roughly how many days the rest takes, to widen the index once rather than year by year.
    span = rest_us // 1_000_000 * 7 * 3 // (max(hix.weekly_seconds, 1) * 2) + 31
    while True:
        prefix, k0 = hix.prefix, o0 - ix.base
        j = bisect_left(prefix, prefix[k0 + 1] + rest_us, k0 + 1)
        if j <= ix.size:
            break
        _check_closed(cal, hix, k0 + 1, ix.size, carry)
        end = ix.base + ix.size  # the first day the index does not cover
        if end > _MAX_ORD:
            _check_ordinal(end)  # raises: the walk would run off the supported years
        ix = cal._cover(o0, min(end + span, _MAX_ORD))
        hix = _hours_index(cal, ix, spec)
        span *= 2
    kl = j - 1
    _check_closed(cal, hix, k0 + 1, kl, carry)
    need -= (prefix[kl] - prefix[k0 + 1]) * _MICRO
    for a, b in hix.spans(tz, date.fromordinal(ix.base + kl), kl):
        if need <= b - a:
            return (a + need).astimezone(tz)
        need -= b - a
    raise AssertionError("unreachable: the landing day holds the rest")  # pragma: no cover


def walk_business_hours(
    cal: Calendar,
    start: datetime,
    need: timedelta,
    spec: OpeningHours,
    segments: list[_Span],
) -> datetime:
    """`add_business_hours` day by day, recording every open span it counts (for the steps)."""
    if not need:
        return start.astimezone(cal.tz)
    for a, b in open_spans(cal, start, spec):
        avail = b - a
        if need <= avail:
            segments.append((a, a + need))
            return (a + need).astimezone(cal.tz)
        need -= avail
        segments.append((a, b))
    raise AssertionError("unreachable: open_spans never ends")  # pragma: no cover


def business_time_between(
    cal: Calendar, ua: datetime, ub: datetime, spec: OpeningHours
) -> timedelta:
    """Open time in ``[ua, ub)`` (UTC, ``ua <= ub``): the two end days walked, whole days
    between read off the prefix sums."""
    tz = cal.tz
    total = timedelta(0)
    if ua == ub:
        return total
    d0 = ua.astimezone(tz).date()
    db = ub.astimezone(tz).date()
    day: date | None = None
    carry = 0
    o0, ob = d0.toordinal(), db.toordinal()
    if ob - o0 > 1 and ob <= _MAX_ORD:  # (past the covered years, the walk says which error)
        ix = cal._cover(o0, ob)
        hix = _hours_index(cal, ix, spec)
        prefix, k0, kb = hix.prefix, o0 - ix.base, ob - ix.base
        first = _first_day(tz, ix, hix, d0, ua)
        total = sum((b - a for a, b in first), total)
        closed = 0 if first else 1
        _check_closed(cal, hix, k0 + 1, kb, closed)
        total += (prefix[kb] - prefix[k0 + 1]) * _MICRO
        last = bisect_left(prefix, prefix[kb], k0 + 1, kb + 1)
        carry = closed + kb - k0 - 1 if last == k0 + 1 else kb - last
        day = db
    for s, e in open_spans(cal, ua, spec, day, carry):
        if s >= ub:
            break
        total += (e if e < ub else ub) - s
    return total
