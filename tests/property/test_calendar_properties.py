"""Properties of working-day and business-hour arithmetic over 2020-2030 (CN and a DST zone)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from svcrules.calendars import Calendar, calendar

CN = calendar("CN")
OFFICE = calendar("CN", hours="08:30-12:00,13:30-17:30")
# Make the DST Sundays working days so clock changes fall inside counted time.
NY = calendar(
    "US",
    timezone="America/New_York",
    hours="00:30-03:30,09:00-17:00",
    extra_workdays=[date(y, m, d) for y, m, d in ((2024, 3, 10), (2024, 11, 3), (2025, 3, 9))],
)

days = st.dates(date(2020, 1, 1), date(2030, 12, 31))
steps = st.integers(-400, 400)
nonzero = steps.filter(lambda n: n != 0)
minutes = st.integers(1, 60 * 24 * 20)

FAST = settings(max_examples=200, deadline=None)


@FAST
@given(days, steps, steps)
def test_monotone_in_n(d: date, n: int, m: int) -> None:
    assume(n != m)
    lo, hi = sorted((n, m))
    assert CN.add_workdays(d, lo) < CN.add_workdays(d, hi)


@FAST
@given(days, nonzero)
def test_lands_on_working_days(d: date, n: int) -> None:
    got = CN.add_workdays(d, n)
    assert CN.is_workday(got)
    assert (got > d) == (n > 0)


@FAST
@given(days, steps)
def test_between_inverts_add(d: date, n: int) -> None:
    assert CN.workdays_between(d, CN.add_workdays(d, n)) == n


@FAST
@given(days, days)
def test_add_inverts_between_on_working_days(s: date, e: date) -> None:
    assume(CN.is_workday(e))
    assert CN.add_workdays(s, CN.workdays_between(s, e)) == e


@FAST
@given(days, nonzero, steps)
def test_steps_compose(d: date, n: int, m: int) -> None:
    # After a non-zero step the intermediate date is a working day, so a second step composes,
    # unless the start was a day off and the total turns back past it: from a day off, day 0
    # is the day off itself, which no count of working days returns to.
    assume(CN.is_workday(d) or (n + m) * n > 0)
    assert CN.add_workdays(CN.add_workdays(d, n), m) == CN.add_workdays(d, n + m)


def test_zero_from_a_day_off_does_not_compose() -> None:
    off = date(2024, 10, 5)
    assert CN.add_workdays(off, 0) == off
    assert CN.add_workdays(CN.add_workdays(off, 1), -1) != off


def instants(tz: ZoneInfo) -> st.SearchStrategy[datetime]:
    return st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(tz))


def assert_inside_open_interval(cal: Calendar, got: datetime) -> None:
    """``got`` is inside an open interval of a working day, or exactly at its end."""
    local = got.astimezone(cal.tz)
    for d in (local.date(), local.date() - timedelta(days=1)):
        if not cal.is_workday(d):
            continue
        for a, b in cal.hours.for_weekday(d.weekday()):
            start = datetime(d.year, d.month, d.day, tzinfo=cal.tz) + timedelta(seconds=a)
            end = datetime(d.year, d.month, d.day, tzinfo=cal.tz) + timedelta(seconds=b)
            if start.astimezone(cal.tz) < local <= end.astimezone(cal.tz):
                return
    raise AssertionError(f"{local} is not inside an open interval")


@FAST
@given(instants(ZoneInfo("Asia/Shanghai")), minutes)
def test_business_hours_land_in_open_time(a: datetime, mins: int) -> None:
    got = OFFICE.add_business_hours(a, timedelta(minutes=mins))
    assert got > a
    assert_inside_open_interval(OFFICE, got)
    assert OFFICE.business_time_between(a, got) == timedelta(minutes=mins)


@FAST
@given(instants(ZoneInfo("America/New_York")), st.integers(1, 60 * 60 * 24 * 10))
# 01:52 EDT on the fall-back Sunday plus 8 open minutes is 01:00 EST: later in time, earlier on
# the wall clock. Python compares two datetimes of the same zone by wall time (fold ignored),
# so instants are compared in UTC.
@example(datetime(2024, 11, 3, 1, 52, tzinfo=ZoneInfo("America/New_York")), 480)
def test_business_hours_round_trip_with_dst(a: datetime, secs: int) -> None:
    # ``fold`` picks which of a repeated hour is meant; keep the generated instant exact.
    a = a.replace(fold=0)
    got = NY.add_business_hours(a, timedelta(seconds=secs))
    assert got.astimezone(UTC) > a.astimezone(UTC)
    assert NY.business_time_between(a, got) == timedelta(seconds=secs)
    assert NY.business_time_between(got, a) == -timedelta(seconds=secs)


@FAST
@given(instants(ZoneInfo("Asia/Shanghai")), minutes, minutes)
def test_business_hours_add_up(a: datetime, x: int, y: int) -> None:
    one = OFFICE.add_business_hours(a, timedelta(minutes=x))
    two = OFFICE.add_business_hours(one, timedelta(minutes=y))
    assert two == OFFICE.add_business_hours(a, timedelta(minutes=x + y))


# --- the indexed business hours agree with a plain day-by-day walk ---------------------------


def _last_sundays(month: int) -> list[date]:
    out = []
    for y in range(2019, 2032):
        d = date(y, month, 31)
        out.append(d - timedelta(days=(d.weekday() + 1) % 7))
    return out


# Clocks change in Berlin at 02:00 on the last Sundays of March and October; make those days
# working so the changes fall inside counted time, with hours that open inside the gap.
BERLIN = calendar(
    "DE",
    timezone="Europe/Berlin",
    hours="00:30-02:45,03:00-04:00,09:00-17:00,23:00-24:00",
    extra_workdays=_last_sundays(3) + _last_sundays(10),
)
# CN with lunch breaks, Saturday hours (make-up Saturdays get them) and caller's extra days.
CN_SHIFTS = calendar(
    "CN",
    hours={"mon-fri": "08:30-12:00,13:30-17:30", "sat": "09:00-12:00", "sun": "10:00-11:00"},
    extra_holidays=[date(2024, 3, 6), date(2027, 5, 12)],
    extra_workdays=[date(2025, 3, 9), date(2028, 7, 1)],
)
INDEXED = (BERLIN, CN_SHIFTS, NY, OFFICE)


def _wall(cal: Calendar, d: date, seconds: int) -> datetime:
    """A local wall time as an instant, fold=0: what the calendars document."""
    day = d + timedelta(days=seconds // 86400)
    h, rest = divmod(seconds % 86400, 3600)
    local = datetime(day.year, day.month, day.day, h, rest // 60, rest % 60, tzinfo=cal.tz)
    return local.astimezone(UTC)


def _walk(cal: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open spans from ``start`` on, one day at a time: the reference the index must match."""
    start = start.astimezone(UTC)
    d = start.astimezone(cal.tz).date()
    while True:
        if cal.is_workday(d):
            for a_s, b_s in cal.hours.for_weekday(d.weekday()):
                a, b = _wall(cal, d, a_s), _wall(cal, d, b_s)
                if b > start and b > a:
                    yield max(a, start), b
        d += timedelta(days=1)


def reference_add(cal: Calendar, start: datetime, need: timedelta) -> datetime:
    if not need:
        return start.astimezone(UTC).astimezone(cal.tz)
    for a, b in _walk(cal, start):
        if need <= b - a:
            return (a + need).astimezone(cal.tz)
        need -= b - a
    raise AssertionError("unreachable")


def reference_between(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    total = timedelta(0)
    for s, e in _walk(cal, a):
        if s >= b:
            return total
        total += min(e, b) - s
    raise AssertionError("unreachable")


any_zone_instants = st.sampled_from(INDEXED).flatmap(
    lambda cal: st.tuples(st.just(cal), instants(cal.tz).map(lambda a: a.replace(fold=0)))
)
# Up to 600 business hours, to the microsecond: long amounts are what the index is for.
amounts = st.builds(
    timedelta, seconds=st.integers(0, 600 * 3600), microseconds=st.integers(0, 999_999)
)


@settings(max_examples=400, deadline=None)
@given(any_zone_instants, amounts)
def test_indexed_business_hours_equal_a_day_by_day_walk(
    cal_start: tuple[Calendar, datetime], need: timedelta
) -> None:
    cal, start = cal_start
    got = cal.add_business_hours(start, need)
    want = reference_add(cal, start, need)
    assert got == want and got.utcoffset() == want.utcoffset()
    assert cal.business_hours_steps(start, need).result == want


@settings(max_examples=300, deadline=None)
@given(any_zone_instants, st.integers(0, 24 * 3600 * 400))
def test_indexed_business_time_between_equals_a_day_by_day_walk(
    cal_start: tuple[Calendar, datetime], secs: int
) -> None:
    cal, a = cal_start
    b = (a.astimezone(UTC) + timedelta(seconds=secs)).astimezone(cal.tz)  # real, not wall, time
    assert cal.business_time_between(a, b) == reference_between(cal, a, b)
    assert cal.business_time_between(b, a) == -reference_between(cal, a, b)
