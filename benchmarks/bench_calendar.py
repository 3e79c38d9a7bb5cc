"""Calendar benchmark: indexed working days and business hours against day-by-day walks.

Run with ``python benchmarks/bench_calendar.py``. Prints per-call medians and the ratios the
performance targets use: working days, cost(30)/cost(1) <= 1.5 and holidays(30)/ours(30) >= 50
against the `holidays` package's ``get_nth_working_day``; business hours, cost(500 h)/cost(1 h)
<= 1.5 (flat, like working days) and, since `holidays` has no business-hour facility, against a
plain day-by-day walk over the same calendar (``naive_add_hours`` below, the algorithm svcrules
used before the index). All sides run in the same process on the same starts, so only the
ratios mean anything.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import holidays

from svcrules.calendars import Calendar, calendar

# Spread over 2024-2026, on working days, weekends, holidays and make-up days.
STARTS = [
    date(2024, 1, 2),
    date(2024, 2, 4),
    date(2024, 4, 30),
    date(2024, 9, 26),
    date(2024, 12, 27),
    date(2025, 1, 26),
    date(2025, 5, 3),
    date(2025, 9, 30),
    date(2026, 2, 14),
    date(2026, 6, 19),
    date(2026, 9, 30),
    date(2026, 12, 31),
]
REPEATS = 7
QUICK = os.environ.get("SVCRULES_BENCH_QUICK", "") not in ("", "0")
# Office hours with a lunch break, on the CN calendar (make-up weekends get them too).
HOURS = "08:30-12:00,13:30-17:30"
INSTANTS = [
    datetime(d.year, d.month, d.day, h, 0, tzinfo=UTC)
    for d, h in zip(STARTS, (1, 3, 5, 7, 9, 11, 13, 15, 2, 4, 6, 8), strict=True)
]


def naive_add_hours(cal: Calendar, start: datetime, need: timedelta) -> datetime:
    """The peer: walk the open intervals one working day at a time (no index)."""
    tz = cal.tz
    d = start.astimezone(tz).date()
    while True:
        if cal.is_workday(d):
            for a_s, b_s in cal.hours.for_weekday(d.weekday()):
                midnight = datetime(d.year, d.month, d.day, tzinfo=tz)
                a = (midnight + timedelta(seconds=a_s)).astimezone(UTC)
                b = (midnight + timedelta(seconds=b_s)).astimezone(UTC)
                if b <= start:
                    continue
                a = max(a, start)
                if need <= b - a:
                    return (a + need).astimezone(tz)
                need -= b - a
        d += timedelta(days=1)


def per_instant_us(fn: Callable[[datetime], object], number: int) -> float:
    """Median over REPEATS runs of the mean time of one call over INSTANTS, in microseconds."""

    def run() -> None:
        for t in INSTANTS:
            fn(t)

    runs = timeit.repeat(run, number=number, repeat=REPEATS)
    return statistics.median(runs) / (number * len(INSTANTS)) * 1e6


def per_call_us(fn: Callable[[date], object], number: int) -> float:
    """Median over REPEATS runs of the mean time of one call, in microseconds."""

    def run() -> None:
        for d in STARTS:
            fn(d)

    runs = timeit.repeat(run, number=number, repeat=REPEATS)
    return statistics.median(runs) / (number * len(STARTS)) * 1e6


def main() -> None:
    cal = calendar("CN")
    cn = holidays.China(years=range(2023, 2029))
    for d in STARTS:  # warm both: our index, and the package's populated years
        for n in (1, 3, 30):
            assert cal.add_workdays(d, n) == cn.get_nth_working_day(d, n), (d, n)

    ours = {n: per_call_us(lambda d, n=n: cal.add_workdays(d, n), 20_000) for n in (1, 3, 30)}
    theirs = {n: per_call_us(lambda d, n=n: cn.get_nth_working_day(d, n), 200) for n in (1, 3, 30)}
    # One-off cost of a fresh calendar's first query (builds the index for a few years).
    cold = statistics.median(
        timeit.repeat(lambda: Calendar("CN").add_workdays(STARTS[0], 30), number=1, repeat=REPEATS)
    )

    print(f"Python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    print(f"holidays {holidays.__version__}; {len(STARTS)} start dates, median of {REPEATS} runs")
    for n, us in ours.items():
        print(f"  svcrules add_workdays(d, {n:>2}):         {us:8.3f} us")
    for n, us in theirs.items():
        print(f"  holidays get_nth_working_day(d, {n:>2}):  {us:8.3f} us")
    flat = ours[30] / ours[1]
    speedup = theirs[30] / ours[30]
    print(f"  first query on a fresh calendar (index build): {cold * 1e3:.2f} ms")
    print(f"cost(30)/cost(1)      = {flat:6.2f}  (target <= 1.5)  {verdict(flat <= 1.5)}")
    print(f"holidays(30)/ours(30) = {speedup:6.1f}  (target >= 50)   {verdict(speedup >= 50)}")
    business_hours(1 if QUICK else 2_000, 1 if QUICK else 20)


def business_hours(number: int, naive_number: int) -> None:
    office = calendar("CN", hours=HOURS)
    amounts = (1, 8, 500)
    for t in INSTANTS:  # warm the index and check both sides agree before timing
        for h in amounts:
            want = naive_add_hours(office, t, timedelta(hours=h))
            assert office.add_business_hours(t, h) == want, (t, h)
    ours = {
        h: per_instant_us(lambda t, h=h: office.add_business_hours(t, h), number) for h in amounts
    }
    naive = {
        h: per_instant_us(
            lambda t, h=h: naive_add_hours(office, t, timedelta(hours=h)), naive_number
        )
        for h in amounts
    }
    cold = statistics.median(
        timeit.repeat(
            lambda: Calendar("CN", hours=HOURS).add_business_hours(INSTANTS[0], 500),
            number=1,
            repeat=REPEATS,
        )
    )
    print(f"business hours ({HOURS} on CN working days), {len(INSTANTS)} starts:")
    for h, us in ours.items():
        print(f"  svcrules add_business_hours(t, {h:>3}):   {us:8.3f} us")
    for h, us in naive.items():
        print(f"  naive day walk (t, {h:>3}):               {us:8.3f} us")
    print(f"  first business-hour query on a fresh calendar (both indexes): {cold * 1e3:.2f} ms")
    flat = ours[500] / ours[1]
    speedup = naive[500] / ours[500]
    print(f"hours cost(500)/cost(1) = {flat:6.2f}  (target <= 1.5)  {verdict(flat <= 1.5)}")
    print(f"naive walk(500)/ours(500) = {speedup:6.1f}  (no target)")


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


if __name__ == "__main__":
    main()
