"""Calendar benchmark: indexed add_workdays against the `holidays` package's day-by-day walk.

Run with ``python benchmarks/bench_calendar.py``. Prints per-call medians and the two ratios the
performance targets use (cost(30)/cost(1) <= 1.5, holidays(30)/ours(30) >= 50). Both sides run
in the same process on the same start dates, so only the ratios mean anything.
"""

from __future__ import annotations

import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import date
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


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


if __name__ == "__main__":
    main()
