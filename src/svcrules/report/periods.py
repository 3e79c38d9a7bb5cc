"""Report: which months a report shows: ``--from``/``--to`` months, or one ``--period`` (a
month ``2025-09``, a quarter ``2025-Q3`` or a year ``2025``), else every month with data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from svcrules.diagnostics import Diagnostic
from svcrules.report.model import ReportError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def is_month(label: str) -> bool:
    """``2025-09``, not ``2025-Q3`` or a cycle ``2022..2024``."""
    return _MONTH.match(label) is not None


def _bad(option: str, value: str, expected: str) -> ReportError:
    return ReportError(
        [
            Diagnostic(
                "report.bad-period",
                f"{option} {value!r} is not {expected}",
                path=option,
                hint="months as 2025-09, quarters as 2025-Q3, years as 2025",
            )
        ]
    )


def _month(option: str, value: str) -> tuple[int, int]:
    m = _MONTH.match(value)
    if m is None:
        raise _bad(option, value, "a month (YYYY-MM)")
    return int(m.group(1)), int(m.group(2))


def months_between(first: str, last: str) -> tuple[str, ...]:
    """Every month label from ``first`` to ``last`` inclusive (both ``YYYY-MM``)."""
    y, m = _month("--from", first)
    y2, m2 = _month("--to", last)
    out = []
    while (y, m) <= (y2, m2):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


def period_months(period: str) -> tuple[str, ...]:
    """The months of a ``--period``: one month, a quarter's three or a year's twelve."""
    if _MONTH.match(period):
        return (period,)
    if q := _QUARTER.match(period):
        year, quarter = int(q.group(1)), int(q.group(2))
        first = 3 * quarter - 2
        return months_between(f"{year:04d}-{first:02d}", f"{year:04d}-{first + 2:02d}")
    if y := _YEAR.match(period):
        return months_between(f"{y.group(1)}-01", f"{y.group(1)}-12")
    raise _bad("--period", period, "a month, a quarter or a year")


def select_months(
    seen: Iterable[str],
    *,
    first: str | None = None,
    last: str | None = None,
    period: str | None = None,
) -> tuple[str, ...]:
    """The months a report shows: ``period``, else ``first``..``last`` (either open-ended: the
    data's first or last month), else every month from the first to the last with data."""
    if period is not None:
        if first is not None or last is not None:
            raise _bad("--period", period, "usable with --from/--to (give one or the other)")
        return period_months(period)
    months = sorted(set(seen))
    lo = first or (months[0] if months else None)
    hi = last or (months[-1] if months else None)
    if lo is None or hi is None:
        return ()
    if first is not None:
        _month("--from", first)
    if last is not None:
        _month("--to", last)
    if lo > hi:
        raise _bad("--from", lo, f"before --to {hi}")
    return months_between(lo, hi)


def overlaps(label: str, months: Iterable[str]) -> bool:
    """Whether a KPI period label (day, ISO week, month, quarter, year) falls in or spans one of
    ``months``; a week counts in the month of its Thursday (as ISO weeks belong to years)."""
    shown = set(months)
    if _MONTH.match(label) or re.match(r"^\d{4}-\d{2}-\d{2}$", label):
        return label[:7] in shown
    if w := re.match(r"^(\d{4})-W(\d{2})$", label):
        thursday = dt.date.fromisocalendar(int(w.group(1)), int(w.group(2)), 4)
        return f"{thursday.year:04d}-{thursday.month:02d}" in shown
    if _QUARTER.match(label) or _YEAR.match(label):
        return bool(shown.intersection(period_months(label)))
    return False
