"""Runtime: ``Explanation``: how a due time was computed, as data; calendar steps worked out on
first access and kept as plain dates when pickled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from svcrules.diagnostics import JSONObject
from svcrules.runtime.values import to_json_value
from svcrules.runtime.zones import fixed_offset

if TYPE_CHECKING:
    from svcrules.calendars import Calendar

Args = tuple[str, int | Decimal, tuple[str, dt.datetime] | None, tuple[str, ...]]
"""What explanations of one rule share: ``(unit, amount, before, notes)``."""


class Explanation:
    """How a due time was computed, as data.

    ``start``, ``unit``, ``amount``, ``calendar`` (the calendar's name), ``before`` (the field and
    instant a notice deadline counts back from) and ``notes`` are fixed at construction. The
    calendar steps (day zero, cut-off, holidays and weekends skipped, make-up working days
    counted, projected years) are worked out on first access, since most callers never read
    them, and are plain data (dates, instants, names) from then on. Pickling or copying an
    explanation works them out first and leaves the calendar behind: the copy is equal.
    """

    # Four slots, not one per attribute: an explanation is built for every deadline on the hot
    # path and read rarely, so its construction is kept to four stores; and a ledger holds one
    # per open clock, so what a rule's explanations have in common (unit, amount, before, notes)
    # is one tuple they can share (``explanation``), leaving the start as their own.
    __slots__ = ("_args", "_cal", "_start", "_steps")

    _start: dt.datetime
    _args: Args
    """``(unit, amount, before, notes)``."""
    _cal: Calendar | str | None
    """The calendar (or, once pickled, its name)."""
    _steps: dict[str, Any] | None

    def __init__(
        self,
        start: dt.datetime,
        unit: str,
        amount: int | Decimal,
        calendar: Calendar | str | None = None,
        before: tuple[str, dt.datetime] | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        _set(self, "_start", start)
        _set(self, "_args", (unit, amount, before, notes))
        _set(self, "_cal", calendar)
        _set(self, "_steps", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Explanation is immutable: cannot set {name!r}")

    def with_notes(self, *notes: str) -> Explanation:
        """A copy with ``notes`` added (the ledger's pauses, extensions and excuses)."""
        ex = Explanation(
            self.start, self.unit, self.amount, self._cal, self.before, self.notes + notes
        )
        _set(ex, "_steps", self._steps)
        return ex

    @property
    def start(self) -> dt.datetime:
        """When the clock started."""
        return self._start

    @property
    def unit(self) -> str:
        return self._args[0]

    @property
    def amount(self) -> int | Decimal:
        """How many units (the rule's ``within``)."""
        return self._args[1]

    @property
    def before(self) -> tuple[str, dt.datetime] | None:
        """For a notice deadline: the event field and the instant it counts back from."""
        return self._args[2]

    @property
    def notes(self) -> tuple[str, ...]:
        return self._args[3]

    @property
    def calendar(self) -> str | None:
        """The name of the calendar the due time was counted on (None for elapsed units)."""
        cal = self._cal
        return cal if cal is None or isinstance(cal, str) else cal.name

    @property
    def steps(self) -> dict[str, object]:
        """Calendar steps: day zero, cut-off, holidays and weekends skipped, make-up days."""
        return dict(self._worked_out())

    def _worked_out(self) -> dict[str, Any]:
        if self._steps is None:
            _set(self, "_steps", _calendar_steps(self))
        assert self._steps is not None
        return self._steps

    @property
    def warnings(self) -> tuple[str, ...]:
        projected = self._worked_out().get("projected_years") or ()
        if not projected:
            return ()
        years = ", ".join(str(y) for y in projected)
        return (
            f"the due date depends on {years}, whose official holiday schedule is projected, "
            f"not announced; declare it in the calendar (extra_holidays / extra_workdays) "
            f"once published",
        )

    def to_dict(self) -> JSONObject:
        out: JSONObject = {
            "start": self.start.isoformat(),
            "unit": self.unit,
            "amount": to_json_value(self.amount),
            "calendar": self.calendar,
        }
        if self.before is not None:
            out["before"] = {"field": self.before[0], "instant": self.before[1].isoformat()}
        steps = dict(self._worked_out())
        if "holidays_skipped" in steps:
            steps["holidays_skipped"] = [
                {"date": d.isoformat(), "name": name} for d, name in steps["holidays_skipped"]
            ]
        for key, value in steps.items():
            out[key] = to_json_value(value)
        if self.notes:
            out["notes"] = list(self.notes)
        out["warnings"] = list(self.warnings)
        return out

    def _key(self) -> tuple[Any, ...]:
        return (self._start, self._args, self.calendar, tuple(sorted(self.steps.items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self._start, self._args[:2], self.calendar))

    def __repr__(self) -> str:
        return f"Explanation({self.to_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_explanation, ((self._start, *self._args), self.calendar, self.steps))


_set = object.__setattr__


def explanation(
    start: dt.datetime, args: Args, calendar: Calendar | str | None = None
) -> Explanation:
    """``Explanation(start, *args, calendar)`` keeping ``args`` itself: a caller that builds many
    (a deadline effect) passes one tuple for all of them."""
    ex: Explanation = object.__new__(Explanation)
    _set(ex, "_start", start)
    _set(ex, "_args", args)
    _set(ex, "_cal", calendar)
    _set(ex, "_steps", None)
    return ex


def _restore_explanation(
    args: tuple[dt.datetime, str, int | Decimal, tuple[str, dt.datetime] | None, tuple[str, ...]],
    calendar: str | None,
    steps: dict[str, Any],
) -> Explanation:
    start, unit, amount, before, notes = args
    ex = Explanation(start, unit, amount, calendar, before, notes)
    _set(ex, "_steps", steps)
    return ex


def _calendar_steps(ex: Explanation) -> dict[str, Any]:
    cal = ex._cal
    if cal is None or isinstance(cal, str):
        return {}
    if ex.unit == "workdays":
        if ex.before is not None:
            day0, cut = ex.before[1].astimezone(cal.tz).date(), False
            raw = cal.workday_steps(day0, -int(ex.amount))
        else:
            day0, cut = cal.day_zero(ex.start)
            raw = cal.workday_steps(day0, int(ex.amount))
        return {
            "day_zero": raw.start,
            "cutoff_applied": cut,
            "due_date": raw.result,
            "holidays_skipped": raw.holidays_skipped,
            "weekends_skipped": raw.weekends_skipped,
            "makeup_workdays": raw.makeup_workdays,
            "projected_years": raw.projected_years,
        }
    if ex.unit == "business_hours":
        bh = cal.business_hours_steps(ex.start, Decimal(ex.amount))
        return {
            "opening_hours": cal.hours.to_dict(),
            "cutoff": cal.cutoff.isoformat() if cal.cutoff else None,
            # the calendar's spans are zone times; a result's instants are fixed offsets
            "counted": tuple((fixed_offset(a), fixed_offset(b)) for a, b in bh.segments),
            "projected_years": bh.projected_years,
        }
    return {}
