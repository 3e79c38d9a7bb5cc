"""The oracle's own arithmetic reproduces the worked examples of docs/calendars.md and
docs/pack-format.md, so a disagreement with the engine points at the engine, not at the oracle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tests.reference import OracleCalendar, OracleEventError, due_after, due_before

SH = ZoneInfo("Asia/Shanghai")
CN = OracleCalendar("CN", SH)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (dt.date(2024, 9, 27), 3, dt.date(2024, 10, 8)),
        (dt.date(2024, 4, 1), 15, dt.date(2024, 4, 23)),
        (dt.date(2024, 5, 10), 5, dt.date(2024, 5, 16)),
        (dt.date(2024, 12, 27), 10, dt.date(2025, 1, 13)),
        (dt.date(2024, 10, 1), 0, dt.date(2024, 10, 1)),
        (dt.date(2024, 10, 1), 1, dt.date(2024, 10, 8)),
        (dt.date(2024, 10, 8), -1, dt.date(2024, 9, 30)),
    ],
)
def test_working_days_follow_the_chinese_schedule(start: dt.date, n: int, due: dt.date) -> None:
    assert CN.add_workdays(start, n) == due


def test_extra_days_win_over_the_data() -> None:
    cal = OracleCalendar(
        "CN",
        SH,
        extra_holidays=frozenset({dt.date(2024, 3, 5)}),
        extra_workdays=frozenset({dt.date(2024, 3, 9)}),
    )
    assert not cal.is_workday(dt.date(2024, 3, 5))
    assert cal.is_workday(dt.date(2024, 3, 9))
    assert CN.is_workday(dt.date(2024, 9, 29))  # a make-up Sunday


@pytest.mark.parametrize(
    ("local", "day0"),
    [
        (dt.datetime(2024, 9, 27, 16, 59), dt.date(2024, 9, 27)),
        (dt.datetime(2024, 9, 27, 17, 0), dt.date(2024, 9, 27)),  # not after the cut-off
        (dt.datetime(2024, 9, 27, 17, 30), dt.date(2024, 9, 29)),  # the make-up Sunday
        (dt.datetime(2024, 10, 1, 9, 0), dt.date(2024, 10, 1)),  # a holiday morning stays
        (dt.datetime(2024, 10, 1, 18, 0), dt.date(2024, 10, 8)),
    ],
)
def test_cutoff_moves_day_zero_strictly_after_it(local: dt.datetime, day0: dt.date) -> None:
    office = OracleCalendar("CN", SH, cutoff=dt.time(17, 0))
    assert office.day_zero(local.replace(tzinfo=SH)) == day0


def test_business_hours_examples() -> None:
    office = OracleCalendar("CN", SH, hours="08:30-12:00,13:30-17:30")
    hour = dt.timedelta(hours=1)
    start = dt.datetime(2024, 3, 4, 11, 0, tzinfo=SH)
    assert office.add_business_hours(start, 2 * hour) == dt.datetime(2024, 3, 4, 14, 30, tzinfo=SH)
    start = dt.datetime(2024, 9, 27, 16, 0, tzinfo=SH)
    assert office.add_business_hours(start, 3 * hour) == dt.datetime(2024, 9, 29, 10, 0, tzinfo=SH)
    # Running out exactly at closing is the closing time, not the next opening.
    start = dt.datetime(2024, 3, 4, 16, 30, tzinfo=SH)
    assert office.add_business_hours(start, hour) == dt.datetime(2024, 3, 4, 17, 30, tzinfo=SH)
    assert office.add_business_hours(start, 0 * hour) == start
    with pytest.raises(OracleEventError):
        office.add_business_hours(start, -hour)


def test_business_hours_count_real_time_across_a_clock_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Two Sundays made working days (open all day): 2024-10-27 has 25 hours, 2025-03-30 has 23.
    de = OracleCalendar(
        "DE", berlin, extra_workdays=frozenset({dt.date(2024, 10, 27), dt.date(2025, 3, 30)})
    )
    day = dt.timedelta(hours=24)
    start = dt.datetime(2024, 10, 27, 0, 0, tzinfo=berlin)
    assert de.add_business_hours(start, day) == dt.datetime(2024, 10, 27, 23, 0, tzinfo=berlin)
    start = dt.datetime(2025, 3, 30, 0, 0, tzinfo=berlin)
    assert de.add_business_hours(start, day - dt.timedelta(hours=1)) == dt.datetime(
        2025, 3, 31, 0, 0, tzinfo=berlin
    )


def test_deadline_units_match_the_documented_examples() -> None:
    complaint = dt.datetime(2024, 8, 1, 16, 0, tzinfo=SH)
    assert due_after("days", 5, complaint, SH, None) == (
        dt.datetime(2024, 8, 6, 23, 59, 59, tzinfo=SH),
        dt.date(2024, 8, 6),
    )
    assert due_after("months", 1, dt.datetime(2024, 1, 31, 9, tzinfo=SH), SH, None)[1] == dt.date(
        2024, 2, 29
    )
    assert due_after("hours", Decimal("1.5"), complaint, SH, None)[0] == dt.datetime(
        2024, 8, 1, 17, 30, tzinfo=SH
    )
    accepted = dt.datetime(2024, 3, 4, 10, 0, tzinfo=SH)
    assert due_after("workdays", 3, accepted, SH, CN)[1] == dt.date(2024, 3, 7)
    outage = dt.datetime(2024, 7, 15, 8, 0, tzinfo=SH)
    assert due_before("days", 7, outage, SH, None)[1] == dt.date(2024, 7, 8)
    notice = dt.datetime(2024, 7, 10, 14, 0, tzinfo=SH)
    assert due_before("hours", 24, notice, SH, None)[0] == dt.datetime(2024, 7, 9, 14, tzinfo=SH)
    with pytest.raises(ValueError):
        due_after("days", Decimal("2.5"), accepted, SH, None)
