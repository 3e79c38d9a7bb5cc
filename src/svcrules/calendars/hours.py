"""Calendars: opening hours per weekday, parsed from text or a mapping, as second intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from itertools import pairwise
from typing import Final

from svcrules.calendars.coerce import _DAY_SECONDS, _pack_error

_WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

HoursMapping = Mapping[str, object] | Mapping[int, object] | Mapping[object, object]
"""Opening hours by weekday name (``"mon-fri"``, ``"Monday"``), weekday number or ``default``."""


_LONG_NAMES: Final = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


Interval = tuple[int, int]
"""Seconds after local midnight, ``[start, end)``; ``end`` may be 86400 (24:00)."""


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
    def parse(cls, spec: OpeningHours | HoursMapping | str | None) -> OpeningHours:
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


def _parse_hours_mapping(spec: HoursMapping) -> OpeningHours:
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
