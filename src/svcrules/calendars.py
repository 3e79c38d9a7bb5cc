"""Business-time arithmetic: working days, opening hours and cut-offs over holiday data from the
`holidays` package, indexed for constant-time lookups; sits under the runtime and knows nothing of
packs or pydantic."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError, PackError

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "BusinessHoursSteps",
    "Calendar",
    "OpeningHours",
    "WorkdaySteps",
    "calendar",
]

MIN_YEAR: Final = 1950
MAX_YEAR: Final = 2200

_DAY_SECONDS: Final = 86_400
_MIN_ORD: Final = date(MIN_YEAR, 1, 1).toordinal()
_MAX_ORD: Final = date(MAX_YEAR, 12, 31).toordinal()
# The index is built a few years around the first date asked for, then widened on demand.
_MARGIN_YEARS: Final = 3
# A calendar whose open hours never come round in this many days would loop for nothing.
_MAX_CLOSED_DAYS: Final = 800
_DEFAULT_TZ: Final = {"CN": "Asia/Shanghai"}
_WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_NAMES: Final = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_EXTRA_HOLIDAY: Final = "extra holiday"

Interval = tuple[int, int]
"""Seconds after local midnight, ``[start, end)``; ``end`` may be 86400 (24:00)."""


def _pack_error(code: str, message: str, hint: str | None = None) -> PackError:
    return PackError([Diagnostic(code, message, "$", hint=hint)])


def _event_error(code: str, message: str, hint: str | None = None) -> EventError:
    return EventError([Diagnostic(code, message, "$", hint=hint)])


# --- opening hours ------------------------------------------------------------------------------


def _parse_clock(text: str, *, end: bool) -> int:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValueError(f"{text.strip()!r} is not HH:MM")
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s or not end)):
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return h * 3600 + m * 60 + s


def _fmt_clock(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _parse_intervals(spec: str | Sequence[str]) -> tuple[Interval, ...]:
    pieces = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[Interval] = []
    for piece in pieces:
        if not isinstance(piece, str):
            raise ValueError(f"{piece!r} is not an interval like 08:30-12:00")
        piece = piece.strip()
        if not piece or piece.lower() == "closed":
            continue
        start, sep, stop = piece.partition("-")
        if not sep:
            raise ValueError(f"{piece!r} is not an interval like 08:30-12:00")
        a, b = _parse_clock(start, end=False), _parse_clock(stop, end=True)
        if a >= b:
            raise ValueError(f"{piece!r} ends before it starts")
        out.append((a, b))
    out.sort()
    for (_, prev_end), (nxt, _) in pairwise(out):
        if nxt < prev_end:
            raise ValueError("intervals overlap")
    return tuple(out)


def _weekday_keys(key: object) -> tuple[int, ...] | None:
    """Weekdays named by a mapping key (``mon``, ``Monday``, ``mon-fri``, 0..6); None = default."""
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return (key,)
    if not isinstance(key, str):
        raise ValueError(f"{key!r} is not a weekday")
    word = key.strip().lower()
    if word in ("default", "workday", "workdays"):
        return None

    def one(w: str) -> int:
        w = w.strip()
        if w in _WEEKDAY_NAMES:
            return _WEEKDAY_NAMES.index(w)
        if w in _LONG_NAMES:
            return _LONG_NAMES.index(w)
        raise ValueError(f"{key!r} is not a weekday")

    if "-" in word:
        first, _, last = word.partition("-")
        a, b = one(first), one(last)
        if b < a:
            raise ValueError(f"{key!r} runs backwards")
        return tuple(range(a, b + 1))
    return (one(word),)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open intervals on working days, per weekday.

    ``weekly[i]`` holds Monday..Sunday; ``None`` there means "use ``default``", which is how a
    make-up working Saturday gets ordinary working-day hours when no Saturday hours are given.
    Non-working days are closed whatever the hours say.
    """

    weekly: tuple[tuple[Interval, ...] | None, ...]
    default: tuple[Interval, ...]

    @classmethod
    def always(cls) -> OpeningHours:
        """Open all day on every working day (the default when a calendar has no hours)."""
        return cls((None,) * 7, ((0, _DAY_SECONDS),))

    @classmethod
    def parse(cls, spec: OpeningHours | Mapping[Any, Any] | str | None) -> OpeningHours:
        """Read ``"08:30-12:00,13:30-17:30"`` or ``{"mon-fri": "...", "sat": "..."}``.

        In a mapping, ``default`` covers working days whose weekday is not listed; without it,
        the first listed weekday's hours do. Raises `PackError` ``calendar.bad-hours``.
        """
        if spec is None:
            return cls.always()
        if isinstance(spec, OpeningHours):
            return spec
        try:
            if isinstance(spec, str):
                return _parse_hours_text(spec)
            if isinstance(spec, Mapping):
                hours = _parse_hours_mapping(spec)
            else:
                raise ValueError(f"expected a string or a mapping, got {type(spec).__name__}")
        except ValueError as exc:
            raise _pack_error(
                "calendar.bad-hours",
                f"opening hours {spec!r} cannot be read: {exc}",
                hint='write them like "08:30-12:00,13:30-17:30" or {"mon-fri": "09:00-17:00"}',
            ) from None
        return hours

    def for_weekday(self, weekday: int) -> tuple[Interval, ...]:
        found = self.weekly[weekday]
        return self.default if found is None else found

    def __str__(self) -> str:
        def fmt(ivs: tuple[Interval, ...]) -> str:
            return ",".join(f"{_fmt_clock(a)}-{_fmt_clock(b)}" for a, b in ivs) or "closed"

        if all(w is None for w in self.weekly):
            return fmt(self.default)
        parts = [
            f"{_WEEKDAY_NAMES[i]} {fmt(w)}" for i, w in enumerate(self.weekly) if w is not None
        ]
        return "; ".join([*parts, f"default {fmt(self.default)}"])

    def to_dict(self) -> dict[str, str]:
        def fmt(ivs: tuple[Interval, ...]) -> str:
            return ",".join(f"{_fmt_clock(a)}-{_fmt_clock(b)}" for a, b in ivs)

        out = {_WEEKDAY_NAMES[i]: fmt(w) for i, w in enumerate(self.weekly) if w is not None}
        out["default"] = fmt(self.default)
        return out


@lru_cache(maxsize=256)
def _parse_hours_text(spec: str) -> OpeningHours:
    try:
        ivs = _parse_intervals(spec)
        if not ivs:
            raise ValueError("no open interval")
    except ValueError as exc:
        raise _pack_error(
            "calendar.bad-hours",
            f"opening hours {spec!r} cannot be read: {exc}",
            hint='write them like "08:30-12:00,13:30-17:30"',
        ) from None
    return OpeningHours((None,) * 7, ivs)


def _parse_hours_mapping(spec: Mapping[Any, Any]) -> OpeningHours:
    weekly: list[tuple[Interval, ...] | None] = [None] * 7
    default: tuple[Interval, ...] | None = None
    first: tuple[Interval, ...] | None = None
    for key, value in spec.items():
        if not isinstance(value, str | list | tuple):
            raise ValueError(f"hours for {key!r} must be a string like 09:00-17:00")
        ivs = _parse_intervals(value)
        days = _weekday_keys(key)
        if days is None:
            default = ivs
            continue
        first = ivs if first is None else first
        for day in days:
            weekly[day] = ivs
    if default is None:
        default = first if first is not None else ()
    if not default and not any(weekly):
        raise ValueError("no open interval on any day")
    return OpeningHours(tuple(weekly), default)


# --- holiday data and the index -----------------------------------------------------------------


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


def _country_holidays(code: str, subdiv: str | None, years: Iterable[int]) -> Any:
    # Imported on first use: the package costs ~90 ms to import, and `import svcrules` should
    # not pay for it before a calendar is needed.
    import holidays

    return holidays.country_holidays(code, subdiv=subdiv, years=list(years))


@lru_cache(maxsize=32)
def _announced_through(code: str, subdiv: str | None) -> int | None:
    """Last year with official make-up working days in the package's data (None: it has none).

    Make-up working days (调休) are only ever published with a year's official schedule, so the
    latest year that has any is the latest announced one; a newer package moves it forward.
    """
    probe = _country_holidays(code, subdiv, ())
    first = max(int(probe.start_year), 2000)
    last = int(probe.end_year)
    data = _country_holidays(code, subdiv, range(first, last + 1))
    years = [d.year for d in data.weekend_workdays]
    return max(years) if years else None


def _resolve_country(code: str) -> tuple[str, str | None]:
    if not isinstance(code, str) or not code.strip():
        raise _pack_error("calendar.unknown-country", f"{code!r} is not a country code")
    country, _, subdiv = code.strip().partition("-")
    try:
        # The package looks codes up as module attributes, so only letters may reach it.
        if not (2 <= len(country) <= 3 and country.isascii() and country.isalpha()):
            raise ValueError("not an ISO 3166 code")
        probe = _country_holidays(country.upper(), subdiv or None, ())
        if not hasattr(probe, "weekend_workdays") and not hasattr(probe, "get_working_days_count"):
            raise ValueError("not a country")
    except (NotImplementedError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise _pack_error(
            "calendar.unknown-country",
            f"no holiday data for {code!r}: {exc}",
            hint="use an ISO 3166 country code the holidays package knows, e.g. CN, US, DE",
        ) from None
    return str(probe.country), (str(probe.subdiv) if probe.subdiv else None)


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        raise _pack_error("calendar.bad-date", f"{what} {value!r} must be a date, not a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _pack_error("calendar.bad-date", f"{what} {value!r} is not a date (YYYY-MM-DD)")


def _parse_cutoff(value: time | str | None) -> time | None:
    if value is None:
        return None
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise _pack_error("calendar.bad-cutoff", "a cut-off is a local time of day, no zone")
        return value
    if isinstance(value, str):
        try:
            seconds = _parse_clock(value, end=False)
        except ValueError as exc:
            raise _pack_error(
                "calendar.bad-cutoff",
                f"cut-off {value!r} cannot be read: {exc}",
                hint='write it like "17:00"',
            ) from None
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    raise _pack_error("calendar.bad-cutoff", f"cut-off {value!r} is not a time like 17:00")


def _ordinal_text(o: int) -> str:
    try:
        return date.fromordinal(o).isoformat()
    except (ValueError, OverflowError):
        return f"day {o}"


def _check_ordinal(o: int) -> None:
    if not _MIN_ORD <= o <= _MAX_ORD:
        raise _event_error(
            "calendar.out-of-range",
            f"{_ordinal_text(o)} is outside the years the calendars cover",
            hint=f"dates must fall in {MIN_YEAR}..{MAX_YEAR}",
        )


def _utc(instant: datetime, what: str = "instant") -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise _event_error(
            "event.naive-time",
            f"{what} {instant.isoformat()} has no time zone",
            hint="give an offset (+08:00) or a zone",
        )
    return instant.astimezone(UTC)


def _duration(hours: int | Decimal | float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        out = hours
    elif isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise TypeError(f"hours must be a number or a timedelta, got {type(hours).__name__}")
    elif isinstance(hours, int):
        out = timedelta(hours=hours)
    else:
        if not (hours.is_finite() if isinstance(hours, Decimal) else math.isfinite(hours)):
            raise _event_error("calendar.bad-duration", f"{hours} hours is not a finite amount")
        try:
            # Decimal keeps 0.1 h exact; float goes through Decimal too so both round alike.
            micro = (Decimal(hours) * 3_600_000_000).to_integral_value()
        except InvalidOperation:
            raise _event_error("calendar.bad-duration", f"{hours} hours is not a number") from None
        out = timedelta(microseconds=int(micro))
    if out < timedelta(0):
        raise _event_error(
            "calendar.negative-duration", f"cannot add a negative amount of business time ({out})"
        )
    return out


# --- steps (explanations as data) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkdaySteps:
    """How ``add_workdays(start, n)`` was worked out: every non-trivial day on the way.

    The days looked at are ``(start, result]`` forwards and ``[result, start)`` backwards.
    """

    calendar: str
    start: date
    n: int
    result: date
    holidays_skipped: tuple[tuple[date, str], ...]
    weekends_skipped: tuple[date, ...]
    makeup_workdays: tuple[date, ...]
    projected_years: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "start": self.start.isoformat(),
            "n": self.n,
            "result": self.result.isoformat(),
            "holidays_skipped": [
                {"date": d.isoformat(), "name": name} for d, name in self.holidays_skipped
            ],
            "weekends_skipped": [d.isoformat() for d in self.weekends_skipped],
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
            "projected_years": list(self.projected_years),
        }


@dataclass(frozen=True, slots=True)
class BusinessHoursSteps:
    """How ``add_business_hours(start, hours)`` was worked out: the open spans it counted."""

    calendar: str
    start: datetime
    hours: timedelta
    result: datetime
    segments: tuple[tuple[datetime, datetime], ...]
    projected_years: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "start": self.start.isoformat(),
            "hours": self.hours.total_seconds() / 3600,
            "result": self.result.isoformat(),
            "segments": [[a.isoformat(), b.isoformat()] for a, b in self.segments],
            "projected_years": list(self.projected_years),
        }


# --- the calendar -------------------------------------------------------------------------------

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
