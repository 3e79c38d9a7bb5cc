"""Business calendars: worked CN scenarios checked against an independent day-by-day walk."""

from __future__ import annotations

import copy
import json
import pickle
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest

from svcrules.calendars import Calendar, OpeningHours, calendar
from svcrules.errors import EventError, PackError

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
ONE = timedelta(days=1)
LUNCH_HOURS = "08:30-12:00,13:30-17:30"

_CN = holidays.country_holidays("CN", years=range(2015, 2035))


def naive_is_workday(d: date) -> bool:
    """Second source: the holidays package read directly, no index."""
    if d.weekday() >= 5:
        return d in _CN.weekend_workdays
    return d not in _CN


def naive_add(d: date, n: int) -> date:
    step = ONE if n > 0 else -ONE
    left = abs(n)
    while left:
        d += step
        if naive_is_workday(d):
            left -= 1
    return d


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


@pytest.fixture(scope="module")
def cn() -> Calendar:
    return calendar("CN")


@pytest.fixture(scope="module")
def office() -> Calendar:
    return calendar("CN", hours=LUNCH_HOURS)


# --- worked scenarios (catalog §6) ----------------------------------------------------------------

SCENARIOS = [
    pytest.param(date(2024, 9, 27), 3, date(2024, 10, 8), id="national-day-makeup-sunday"),
    pytest.param(date(2024, 4, 1), 15, date(2024, 4, 23), id="T-03-qingming"),
    pytest.param(date(2024, 9, 26), 30, date(2024, 11, 12), id="T-04-30wd"),
    pytest.param(date(2024, 5, 10), 5, date(2024, 5, 16), id="T-06-makeup-saturday"),
    pytest.param(date(2024, 9, 26), 5, date(2024, 10, 9), id="T-07"),
    pytest.param(date(2024, 3, 4), 3, date(2024, 3, 7), id="T-01"),
    pytest.param(date(2024, 12, 27), 10, date(2025, 1, 13), id="T-13c-new-year"),
]


@pytest.mark.parametrize(("start", "n", "due"), SCENARIOS)
def test_worked_scenarios(cn: Calendar, start: date, n: int, due: date) -> None:
    assert cn.add_workdays(start, n) == due
    assert naive_add(start, n) == due  # the expected value agrees with a second source
    assert cn.workdays_between(start, due) == n
    assert cn.add_workdays(due, -n) <= start  # back again lands on or before the start


def test_national_day_detail(cn: Calendar) -> None:
    assert cn.is_workday(date(2024, 9, 29))  # Sunday, make-up
    assert not any(cn.is_workday(date(2024, 10, d)) for d in range(1, 8))
    assert cn.is_workday(date(2024, 10, 12))  # Saturday, make-up
    assert not cn.is_workday(date(2024, 9, 28))


@pytest.mark.parametrize(
    "day", [date(2024, 2, 4), date(2024, 2, 18), date(2025, 1, 26), date(2025, 2, 8)]
)
def test_makeup_weekend_days_are_workdays(cn: Calendar, day: date) -> None:
    assert day.weekday() >= 5
    assert cn.is_workday(day)


@pytest.mark.parametrize("day", [date(2024, 4, 4), date(2025, 1, 1), date(2024, 2, 12)])
def test_public_holidays_are_not_workdays(cn: Calendar, day: date) -> None:
    assert not cn.is_workday(day)


def test_index_agrees_with_holidays_every_day_2016_to_2033(cn: Calendar) -> None:
    d, end = date(2016, 1, 1), date(2033, 12, 31)
    while d <= end:
        assert cn.is_workday(d) == naive_is_workday(d), d
        d += ONE


def test_day_zero_is_the_start_even_on_a_holiday(cn: Calendar) -> None:
    assert cn.add_workdays(date(2024, 10, 1), 0) == date(2024, 10, 1)
    # counting starts after day 0, so a holiday start counts the first working day as 1
    assert cn.add_workdays(date(2024, 10, 1), 1) == date(2024, 10, 8)
    assert cn.add_workdays(date(2024, 10, 5), 1) == date(2024, 10, 8)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2024, 12, 31), 1, date(2025, 1, 2)),
        (date(2025, 1, 2), -1, date(2024, 12, 31)),
        (date(2023, 12, 29), 1, date(2024, 1, 2)),
        # 01-01 and 01-02 off, Sat 01-03 off, Sun 2026-01-04 is a make-up working day
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        (date(2026, 1, 5), -1, date(2026, 1, 4)),
        (date(2026, 1, 4), -1, date(2025, 12, 31)),
    ],
)
def test_year_boundaries(cn: Calendar, start: date, n: int, due: date) -> None:
    assert cn.add_workdays(start, n) == due
    assert naive_add(start, n) == due


def test_negative_n(cn: Calendar) -> None:
    assert cn.add_workdays(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert cn.add_workdays(date(2024, 10, 8), -3) == date(2024, 9, 27)
    assert cn.add_workdays(date(2024, 10, 5), -1) == date(2024, 9, 30)  # from a day off
    assert cn.workdays_between(date(2024, 10, 5), date(2024, 9, 30)) == -1
    assert cn.workdays_between(date(2024, 10, 8), date(2024, 9, 27)) == -3
    for n in range(-40, 0):
        assert cn.add_workdays(date(2024, 10, 3), n) == naive_add(date(2024, 10, 3), n)


def test_workdays_between_half_open(cn: Calendar) -> None:
    assert cn.workdays_between(date(2024, 9, 27), date(2024, 9, 27)) == 0
    assert cn.workdays_between(date(2024, 9, 27), date(2024, 9, 29)) == 1  # (27, 29]
    assert cn.workdays_between(date(2024, 10, 1), date(2024, 10, 7)) == 0


def test_long_spans_and_index_growth() -> None:
    cal = Calendar("CN")
    assert cal.add_workdays(date(2024, 1, 1), 2500) == naive_add(date(2024, 1, 1), 2500)
    assert cal.add_workdays(date(2024, 1, 1), -2000) == naive_add(date(2024, 1, 1), -2000)
    assert not cal.is_workday(date(2099, 10, 1))  # far future, built on demand
    assert cal.is_workday(date(1960, 1, 4))
    assert cal.add_workdays(date(2024, 9, 26), 30) == date(2024, 11, 12)


def test_concurrent_first_use_is_safe() -> None:
    cal = Calendar("CN")
    starts = [date(2016 + i, 3, 1) for i in range(16)]
    want = {s: naive_add(s, 40) for s in starts}
    errors: list[str] = []

    def work(s: date) -> None:
        for _ in range(50):
            got = cal.add_workdays(s, 40)
            if got != want[s]:
                errors.append(f"{s}: {got} != {want[s]}")

    threads = [threading.Thread(target=work, args=(s,)) for s in starts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- cut-off and day zero -------------------------------------------------------------------------


def test_day_zero_local_date_and_cutoff() -> None:
    cal = calendar("CN", cutoff="17:00")
    assert cal.cutoff == time(17, 0)
    assert cal.day_zero(at(2024, 9, 27, 16, 59)) == (date(2024, 9, 27), False)
    assert cal.day_zero(at(2024, 9, 27, 17, 0)) == (date(2024, 9, 27), False)
    assert cal.day_zero(at(2024, 9, 27, 17, 0, 1)) == (date(2024, 9, 29), True)  # make-up Sun
    assert cal.day_zero(at(2024, 10, 1, 18, 0)) == (date(2024, 10, 8), True)
    # UTC instant: 2024-03-03 20:00Z is 04:00 on the 4th in Shanghai
    assert cal.day_zero(datetime(2024, 3, 3, 20, 0, tzinfo=UTC)) == (date(2024, 3, 4), False)
    # received at 09:10 UTC = 17:10 local: pushed
    assert cal.day_zero(datetime(2024, 3, 4, 9, 10, tzinfo=UTC)) == (date(2024, 3, 5), True)


def test_no_cutoff_by_default(cn: Calendar) -> None:
    assert cn.cutoff is None
    assert cn.day_zero(at(2024, 9, 27, 23, 59)) == (date(2024, 9, 27), False)


def test_cutoff_then_workdays() -> None:
    cal = calendar("CN", cutoff=time(17, 0))
    day0, pushed = cal.day_zero(at(2024, 3, 4, 18, 0))
    assert pushed
    assert cal.add_workdays(day0, 3) == date(2024, 3, 8)


# --- extra days, projected years ------------------------------------------------------------------


def test_extra_holidays_and_workdays() -> None:
    cal = calendar(
        "CN",
        extra_holidays=[date(2024, 3, 5)],
        extra_workdays=[date(2024, 3, 9), date(2024, 10, 1)],
    )
    assert not cal.is_workday(date(2024, 3, 5))
    assert cal.is_workday(date(2024, 3, 9))
    assert cal.is_workday(date(2024, 10, 1))  # a caller's rule beats the data
    assert cal.add_workdays(date(2024, 3, 4), 3) == date(2024, 3, 8)
    assert cal.add_workdays(date(2024, 3, 4), 4) == date(2024, 3, 9)
    steps = cal.workday_steps(date(2024, 3, 4), 4)
    assert steps.holidays_skipped == ((date(2024, 3, 5), "extra holiday"),)
    assert steps.makeup_workdays == (date(2024, 3, 9),)


def test_extra_days_accept_iso_strings_and_reject_conflicts() -> None:
    cal = calendar("CN", extra_holidays=["2024-03-05"])  # type: ignore[list-item]
    assert not cal.is_workday(date(2024, 3, 5))
    with pytest.raises(PackError) as exc:
        calendar("CN", extra_holidays=[date(2024, 3, 5)], extra_workdays=[date(2024, 3, 5)])
    assert exc.value.codes == ("calendar.conflicting-days",)


def announced_through_from_package() -> int:
    probe = holidays.country_holidays("CN")
    data = holidays.country_holidays("CN", years=range(2000, int(probe.end_year) + 1))
    return max(d.year for d in data.weekend_workdays)


def test_confirmed_through_follows_the_package(cn: Calendar) -> None:
    last = announced_through_from_package()
    assert last >= 2026
    assert cn.confirmed_through == last
    assert not cn.is_projected(last)
    assert cn.is_projected(last + 1)
    assert not cn.is_projected(2024)


def test_projected_years_still_have_holidays_and_weekends(cn: Calendar) -> None:
    year = cn.confirmed_through
    assert year is not None
    nxt = year + 1
    national_day = date(nxt, 10, 1)
    assert not cn.is_workday(national_day)
    saturday = date(nxt, 3, 1) + timedelta(days=(5 - date(nxt, 3, 1).weekday()) % 7)
    assert not cn.is_workday(saturday)
    steps = cn.workday_steps(date(year, 12, 20), 15)
    assert steps.projected_years == (nxt,)
    assert cn.workday_steps(date(2024, 3, 4), 3).projected_years == ()


def test_caller_announces_a_projected_year() -> None:
    cal = calendar(
        "CN",
        confirmed_through=2035,
        extra_workdays=[date(2027, 9, 26)],
        extra_holidays=[date(2027, 10, 8)],
    )
    assert not cal.is_projected(2027)
    assert cal.is_projected(2036)
    assert cal.is_workday(date(2027, 9, 26))
    assert not cal.is_workday(date(2027, 10, 8))


def test_other_countries() -> None:
    us = calendar("US")
    assert us.tz == ZoneInfo("UTC")
    assert us.confirmed_through is None and not us.is_projected(2100)
    assert us.add_workdays(date(2024, 7, 3), 1) == date(2024, 7, 5)
    assert us.add_workdays(date(2024, 7, 5), 1) == date(2024, 7, 8)
    de = calendar("DE", timezone="Europe/Berlin")
    assert de.add_workdays(date(2024, 10, 2), 1) == date(2024, 10, 4)
    assert calendar("cn").tz == SH
    assert calendar("US-CA").code == "US-CA"


# --- steps ----------------------------------------------------------------------------------------


def test_workday_steps_national_day(cn: Calendar) -> None:
    steps = cn.workday_steps(date(2024, 9, 27), 3)
    assert steps.result == date(2024, 10, 8)
    assert steps.calendar == "CN"
    assert [d for d, _ in steps.holidays_skipped] == [
        date(2024, 10, 1),
        date(2024, 10, 2),
        date(2024, 10, 3),
        date(2024, 10, 4),
        date(2024, 10, 7),
    ]
    assert all(name for _, name in steps.holidays_skipped)
    assert steps.weekends_skipped == (date(2024, 9, 28), date(2024, 10, 5), date(2024, 10, 6))
    assert steps.makeup_workdays == (date(2024, 9, 29),)
    data = steps.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["result"] == "2024-10-08"
    assert data["makeup_workdays"] == ["2024-09-29"]
    assert data["holidays_skipped"][0]["date"] == "2024-10-01"


def test_workday_steps_backwards(cn: Calendar) -> None:
    steps = cn.workday_steps(date(2024, 10, 8), -3)
    assert steps.result == date(2024, 9, 27)
    assert steps.makeup_workdays == (date(2024, 9, 29),)
    assert date(2024, 10, 1) in [d for d, _ in steps.holidays_skipped]


# --- business hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        pytest.param(at(2024, 3, 4, 11, 0), 2, at(2024, 3, 4, 14, 30), id="across-lunch"),
        pytest.param(at(2024, 3, 4, 20, 0), 1, at(2024, 3, 5, 9, 30), id="evening"),
        pytest.param(at(2024, 3, 4, 7, 0), 1, at(2024, 3, 4, 9, 30), id="before-opening"),
        pytest.param(at(2024, 3, 4, 12, 30), 1, at(2024, 3, 4, 14, 30), id="during-lunch"),
        pytest.param(at(2024, 3, 4, 8, 30), Decimal("7.5"), at(2024, 3, 4, 17, 30), id="day-end"),
        pytest.param(at(2024, 3, 8, 17, 0), 1, at(2024, 3, 11, 9, 0), id="weekend"),
        pytest.param(at(2024, 9, 27, 16, 0), 3, at(2024, 9, 29, 10, 0), id="makeup-sunday"),
        pytest.param(at(2024, 10, 11, 17, 0), 2, at(2024, 10, 12, 10, 0), id="makeup-saturday"),
        pytest.param(at(2024, 9, 30, 17, 0), 1, at(2024, 10, 8, 9, 0), id="national-day"),
        pytest.param(at(2024, 3, 4, 9, 0), 15, at(2024, 3, 6, 9, 0), id="two-days"),
    ],
)
def test_business_hours(
    office: Calendar, start: datetime, hours: int | Decimal, due: datetime
) -> None:
    got = office.add_business_hours(start, hours)
    assert got == due
    assert got.tzinfo == SH
    assert office.business_time_between(start, got) == timedelta(hours=float(hours))


def test_business_hours_amount_types(office: Calendar) -> None:
    start = at(2024, 3, 4, 9, 0)
    want = at(2024, 3, 4, 10, 30)
    assert office.add_business_hours(start, 1.5) == want
    assert office.add_business_hours(start, Decimal("1.5")) == want
    assert office.add_business_hours(start, timedelta(minutes=90)) == want
    assert office.add_business_hours(start, 0) == start
    with pytest.raises(EventError) as exc:
        office.add_business_hours(start, -1)
    assert exc.value.codes == ("calendar.negative-duration",)


def test_business_hours_override_and_mapping() -> None:
    cal = calendar("CN")  # no hours: open all day on working days
    assert cal.add_business_hours(at(2024, 3, 8, 20, 0), 6) == at(2024, 3, 11, 2, 0)
    start = at(2024, 3, 4, 11, 0)
    assert cal.add_business_hours(start, 2, LUNCH_HOURS) == at(2024, 3, 4, 14, 30)
    per_day = calendar("CN", hours={"mon-fri": "09:00-17:00", "sat": "09:00-12:00"})
    # 2024-10-12 is a make-up Saturday: Saturday hours apply
    assert per_day.add_business_hours(at(2024, 10, 11, 16, 0), 2) == at(2024, 10, 12, 10, 0)
    assert per_day.add_business_hours(at(2024, 10, 11, 16, 0), 4) == at(2024, 10, 12, 12, 0)
    assert per_day.add_business_hours(at(2024, 10, 11, 16, 0), 5) == at(2024, 10, 14, 10, 0)
    # no Saturday hours given: a make-up Saturday gets the first listed day's hours
    weekdays_only = calendar("CN", hours={"mon-fri": "09:00-17:00"})
    assert weekdays_only.add_business_hours(at(2024, 10, 11, 16, 0), 5) == at(2024, 10, 12, 13)
    assert str(calendar("CN", hours=LUNCH_HOURS).hours) == LUNCH_HOURS


def test_business_time_between(office: Calendar) -> None:
    fri = at(2024, 3, 8, 16, 0)
    mon = at(2024, 3, 11, 10, 0)
    assert office.business_time_between(fri, mon) == timedelta(hours=3)
    assert office.business_time_between(mon, fri) == -timedelta(hours=3)
    assert office.business_time_between(fri, fri) == timedelta(0)
    lunch = at(2024, 3, 4, 12, 0), at(2024, 3, 4, 13, 30)
    assert office.business_time_between(*lunch) == timedelta(0)


def test_business_hours_steps(office: Calendar) -> None:
    steps = office.business_hours_steps(at(2024, 9, 27, 16, 0), 3)
    assert steps.result == at(2024, 9, 29, 10, 0)
    assert steps.segments == (
        (at(2024, 9, 27, 16, 0), at(2024, 9, 27, 17, 30)),
        (at(2024, 9, 29, 8, 30), at(2024, 9, 29, 10, 0)),
    )
    data = steps.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["hours"] == 3


def test_dst_counts_real_time() -> None:
    # US clocks change on Sundays; make those days working to see the change inside hours.
    cal = calendar(
        "US",
        timezone="America/New_York",
        extra_workdays=[date(2024, 3, 10), date(2024, 11, 3)],
    )
    spring = at(2024, 3, 10, 0, 0, tz=NY)
    assert cal.business_time_between(spring, at(2024, 3, 11, 0, 0, tz=NY)) == timedelta(hours=23)
    assert cal.add_business_hours(spring, 23) == at(2024, 3, 11, 0, 0, tz=NY)
    autumn = at(2024, 11, 3, 0, 0, tz=NY)
    assert cal.business_time_between(autumn, at(2024, 11, 4, 0, 0, tz=NY)) == timedelta(hours=25)
    assert cal.add_business_hours(autumn, 25) == at(2024, 11, 4, 0, 0, tz=NY)
    # 01:00-04:00 on the spring day is two real hours
    early = "01:00-04:00"
    assert cal.add_business_hours(spring, 2, early) == at(2024, 3, 10, 4, 0, tz=NY)
    # across an ordinary DST weekend: Fri noon EST + 24 h -> Mon noon EDT
    plain = calendar("US", timezone="America/New_York")
    fri = at(2024, 3, 8, 12, 0, tz=NY)
    got = plain.add_business_hours(fri, 24)
    assert got == at(2024, 3, 11, 12, 0, tz=NY)
    assert got.utcoffset() == timedelta(hours=-4)
    assert plain.business_time_between(fri, got) == timedelta(hours=24)


# --- errors and sharing ---------------------------------------------------------------------------


def test_naive_datetimes_are_rejected(office: Calendar) -> None:
    naive = datetime(2024, 3, 4, 9, 0)
    for call in (
        lambda: office.add_business_hours(naive, 1),
        lambda: office.business_time_between(naive, at(2024, 3, 4, 10)),
        lambda: office.day_zero(naive),
    ):
        with pytest.raises(EventError) as exc:
            call()
        assert exc.value.codes == ("event.naive-time",)
        assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add_workdays(date(1900, 1, 1), 1),
        lambda c: c.is_workday(date(2300, 1, 1)),
        lambda c: c.add_workdays(date(2200, 12, 1), 100),
        lambda c: c.add_workdays(date(1950, 1, 10), -100),
        lambda c: c.workdays_between(date(2024, 1, 1), date(2250, 1, 1)),
    ],
)
def test_years_out_of_range(call: object) -> None:
    with pytest.raises(EventError) as exc:
        call(calendar("CN"))  # type: ignore[operator]
    assert exc.value.codes == ("calendar.out-of-range",)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "XX"}, "calendar.unknown-country"),
        ({"code": ""}, "calendar.unknown-country"),
        ({"code": "US-ZZ"}, "calendar.unknown-country"),
        ({"code": "mon-fri"}, "calendar.unknown-country"),  # MON is a constant in `holidays`
        ({"hours": {"mon": [9, 17]}}, "calendar.bad-hours"),
        ({"hours": "8-12"}, "calendar.bad-hours"),
        ({"hours": "12:00-08:00"}, "calendar.bad-hours"),
        ({"hours": "08:00-12:00,11:00-13:00"}, "calendar.bad-hours"),
        ({"hours": ""}, "calendar.bad-hours"),
        ({"hours": {"someday": "09:00-17:00"}}, "calendar.bad-hours"),
        ({"cutoff": "25:00"}, "calendar.bad-cutoff"),
        ({"cutoff": "5pm"}, "calendar.bad-cutoff"),
        ({"timezone": "Mars/Olympus"}, "calendar.bad-timezone"),
        ({"extra_holidays": ["not a date"]}, "calendar.bad-date"),
        ({"extra_workdays": [datetime(2025, 1, 2, 0, 0)]}, "calendar.bad-date"),
        (
            {"extra_workdays": [date(2025, 1, 1)], "extra_holidays": [date(2025, 1, 1)]},
            "calendar.conflicting-days",
        ),
        ({"confirmed_through": -1}, "calendar.bad-confirmed-through"),
    ],
)
def test_bad_settings_raise_pack_errors(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(PackError) as exc:
        calendar(**kwargs)  # type: ignore[arg-type]
    assert exc.value.codes == (code,)
    assert exc.value.diagnostics[0].path == "$"


def test_calendar_is_read_only_and_shared() -> None:
    cal = calendar("CN", name="cn-office", hours=LUNCH_HOURS)
    assert cal.name == "cn-office"
    assert cal.code == "CN"
    with pytest.raises(AttributeError):
        cal.name = "other"  # type: ignore[misc]
    assert calendar("CN", name="cn-office", hours=LUNCH_HOURS) is cal
    private = calendar("CN", extra_holidays=[date(2024, 3, 5)])
    assert private is not calendar("CN", extra_holidays=[date(2024, 3, 5)])
    changed = cal.replace(cutoff="17:00")
    assert changed.cutoff == time(17, 0) and changed.hours == cal.hours
    assert cal.cutoff is None


def test_opening_hours_parse_forms() -> None:
    hours = OpeningHours.parse({"Monday": "09:00-12:00", 4: ["13:00-17:00"], "default": ""})
    assert hours.for_weekday(0) == ((9 * 3600, 12 * 3600),)
    assert hours.for_weekday(4) == ((13 * 3600, 17 * 3600),)
    assert hours.for_weekday(2) == ()
    assert OpeningHours.parse("00:00-24:00").for_weekday(6) == ((0, 86400),)
    assert OpeningHours.parse(None) == OpeningHours.always()


def test_hours_that_never_open_raise() -> None:
    cal = calendar("US", hours={"sun": "09:00-12:00", "default": ""})  # Sundays never work
    with pytest.raises(EventError) as exc:
        cal.add_business_hours(at(2024, 3, 4, 9, 0), 1)
    assert exc.value.codes == ("calendar.no-open-hours",)


# --- long business-hour amounts (indexed) -----------------------------------------------------


def test_long_business_hour_amounts_match_the_steps_walk() -> None:
    # The steps walk every open span day by day; the plain call jumps through the index.
    cal = Calendar("CN", hours={"mon-fri": LUNCH_HOURS, "sat": "09:00-12:00"})
    start = at(2024, 9, 27, 16, 0)
    for hours in (1, 7, 8, 500, 2000, Decimal("1234.5")):
        assert cal.add_business_hours(start, hours) == cal.business_hours_steps(start, hours).result
    # 2000 office hours run into 2025, past the 2024 National Day and Spring Festival
    assert cal.business_time_between(start, cal.add_business_hours(start, 2000)) == timedelta(
        hours=2000
    )


def test_business_hours_far_past_the_index_widen_it() -> None:
    cal = Calendar("CN", hours=LUNCH_HOURS)
    start = at(2024, 3, 4, 9, 0)
    assert cal.add_business_hours(start, 1) == at(2024, 3, 4, 10, 0)
    far = cal.add_business_hours(start, 7.5 * 250 * 20)  # about twenty years of office hours
    assert far.year in (2043, 2044)
    assert cal.business_time_between(start, far) == timedelta(hours=7.5 * 250 * 20)


def test_business_hours_over_berlin_clock_changes() -> None:
    # 2024-03-31 and 2024-10-27 are the Sundays Berlin changes its clocks, made working days.
    berlin = ZoneInfo("Europe/Berlin")
    cal = calendar(
        "DE",
        timezone="Europe/Berlin",
        hours="00:00-24:00",
        extra_workdays=[date(2024, 3, 31), date(2024, 10, 27)],
    )
    sat = datetime(2024, 3, 29, 12, 0, tzinfo=berlin)  # Good Friday: a holiday
    assert cal.business_time_between(sat, datetime(2024, 4, 2, 0, 0, tzinfo=berlin)) == timedelta(
        hours=23
    )
    autumn = datetime(2024, 10, 25, 0, 0, tzinfo=berlin)
    assert cal.add_business_hours(autumn, 24 + 25) == datetime(2024, 10, 28, 0, 0, tzinfo=berlin)


# --- pickling and copying -------------------------------------------------------------------------


def _same_behaviour(a: Calendar, b: Calendar) -> None:
    start = at(2024, 9, 27, 16, 30)
    for d in (date(2024, 9, 29), date(2024, 10, 1), date(2025, 1, 26)):
        assert a.is_workday(d) == b.is_workday(d)
        assert a.add_workdays(d, 5) == b.add_workdays(d, 5)
        assert a.workday_steps(d, 3) == b.workday_steps(d, 3)
    assert a.day_zero(start) == b.day_zero(start)
    assert a.add_business_hours(start, 30) == b.add_business_hours(start, 30)
    assert a.business_time_between(start, at(2024, 11, 1)) == b.business_time_between(
        start, at(2024, 11, 1)
    )
    assert (a.name, a.code, a.tz, a.hours, a.cutoff) == (b.name, b.code, b.tz, b.hours, b.cutoff)
    assert (a.extra_holidays, a.extra_workdays) == (b.extra_holidays, b.extra_workdays)
    assert a.confirmed_through == b.confirmed_through


PRIVATE = {
    "hours": {"mon-fri": LUNCH_HOURS, "sat": "09:00-12:00"},
    "cutoff": "16:00",
    "extra_holidays": [date(2024, 10, 8)],
    "extra_workdays": [date(2024, 10, 13)],
    "name": "cn-branch",
}


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "index-built"])
def test_a_calendar_pickles_and_keeps_its_behaviour(warm: bool) -> None:
    cal = calendar("CN", **PRIVATE)  # type: ignore[arg-type]
    if warm:
        cal.add_business_hours(at(2024, 1, 2), 100)
    copy = pickle.loads(pickle.dumps(cal))
    assert copy is not cal
    _same_behaviour(copy, cal)


def test_a_calendar_deep_copies_and_keeps_its_behaviour() -> None:
    cal = Calendar("US", timezone="America/New_York", hours="09:00-17:00", confirmed_through=2030)
    holder = {"calendars": [cal], "note": "anything holding a calendar copies too"}
    copied = copy.deepcopy(holder)
    (twin,) = copied["calendars"]
    assert isinstance(twin, Calendar) and twin is not cal
    _same_behaviour(twin, cal)
    assert twin.confirmed_through == 2030


def test_a_shared_calendar_unpickles_as_the_shared_instance() -> None:
    cn = calendar("CN", hours=LUNCH_HOURS)
    assert pickle.loads(pickle.dumps(cn)) is cn
    assert copy.deepcopy(cn) is cn  # immutable and shared: copying gives the same one
    changed = pickle.loads(pickle.dumps(cn.replace(cutoff="17:00")))
    assert changed.cutoff == time(17, 0) and changed is not cn


def test_a_pickled_calendar_is_safe_to_share_between_threads() -> None:
    cal = pickle.loads(pickle.dumps(calendar("CN", **PRIVATE)))  # type: ignore[arg-type]
    results: list[date] = []
    threads = [
        threading.Thread(target=lambda: results.append(cal.add_workdays(date(2031, 1, 1), 30)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
