"""The test oracle: a plain interpreter of a pack that walks its rules one by one.

It shares nothing with the compiler, the runtime or the calendar index. It re-reads the
``PackSpec``; validates the raw event itself from the table in docs/pack-format.md; filters rules
by edition, event type and effective date in the obvious way; evaluates expressions with the
tree-walking interpreter of ``reference_expr``; picks each clock's calendar by reading
"Which calendar a clock uses" literally; and counts due times by walking dates one at a time
over the ``holidays`` package's data (docs/calendars.md), never through ``svcrules.calendars``
or ``svcrules.runtime``. It is slow on purpose: every step is the definition, not a shortcut.

What it shares with the engine: the loaded ``PackSpec`` (the loader is tested on its own) and
the expression parser and function library (``reference_expr`` documents why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from svcrules.expr import parse_expr
from svcrules.pack.schema import CalendarSpec, Pack, PackSpec, RuleSpec
from tests.reference_expr import interpret

UTC = dt.UTC
END_OF_DAY = dt.time(23, 59, 59)
DAY_UNITS = ("days", "workdays", "months")
CALENDAR_UNITS = ("workdays", "business_hours")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OracleEventError(Exception):
    """The oracle rejects the event (the engine must raise ``EventError`` with these codes)."""

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = tuple(codes)


# -- params -------------------------------------------------------------------------------------


def exact(value: Any) -> Any:
    """A caller's float is the Decimal of its shortest repr; mappings and lists inside too."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [exact(v) for v in value]
    return value


def merge_params(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides merge into nested mappings key by key; anything else replaces the value."""
    out = dict(base)
    for key, value in overrides.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = merge_params(old, value)
        else:
            out[key] = exact(value)
    return out


# -- events -------------------------------------------------------------------------------------


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise OracleEventError(["event.bad-type"]) from None
    if not isinstance(value, dt.datetime):
        raise OracleEventError(["event.bad-type"])
    if value.tzinfo is None or value.utcoffset() is None:
        raise OracleEventError(["event.naive-time"])
    return value


def _convert(kind: str, values: Sequence[str] | None, value: Any) -> Any:
    """One field's value as rules see it, per the table "What each type accepts"."""
    convert = _CONVERT.get(kind)
    out = convert(value, values) if convert is not None else _WRONG
    if out is _WRONG:
        raise OracleEventError(["event.bad-type"])
    return out


_WRONG = object()
"""A converter's answer for a value of the wrong type."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _to_string(value: Any, _: Sequence[str] | None) -> Any:
    if isinstance(value, str):
        return value
    return str(value) if _is_int(value) else _WRONG


def _to_int(value: Any, _: Sequence[str] | None) -> Any:
    if _is_int(value):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    return _WRONG


def _to_number(value: Any, _: Sequence[str] | None) -> Any:
    if isinstance(value, bool):
        return _WRONG
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal | float | str):
        return _WRONG
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return _WRONG
    if not number.is_finite():
        raise OracleEventError(["event.bad-value"])
    return number


def _to_bool(value: Any, _: Sequence[str] | None) -> Any:
    return value if isinstance(value, bool) else _WRONG


def _to_date(value: Any, _: Sequence[str] | None) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return _WRONG


def _to_enum(value: Any, values: Sequence[str] | None) -> Any:
    assert values is not None
    if _is_int(value):
        value = str(value)  # an integer is matched by its digits, as for `string`
    if not isinstance(value, str):
        return _WRONG
    if value not in values:
        raise OracleEventError(["event.bad-value"])
    return value


def _to_list(value: Any, _: Sequence[str] | None) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else _WRONG


_CONVERT: dict[str, Any] = {
    "string": _to_string,
    "int": _to_int,
    "number": _to_number,
    "bool": _to_bool,
    "datetime": lambda value, _: _instant(value),
    "date": _to_date,
    "enum": _to_enum,
    "list": _to_list,
}


def validate_event(spec: PackSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The event as rules see it, or ``OracleEventError`` with every problem's code."""
    etype = raw.get("type")
    if not isinstance(etype, str) or etype not in spec.events:
        raise OracleEventError(["event.unknown-type"])
    problems: list[str] = []
    e: dict[str, Any] = {"id": None if raw.get("id") is None else str(raw["id"]), "type": etype}
    if "at" not in raw:
        problems.append("event.missing-field")
    else:
        try:
            e["at"] = _instant(raw["at"])
        except OracleEventError as exc:
            problems.extend(exc.codes)
    declared = spec.events[etype].fields
    for std in ("case", "subject"):
        if std not in declared:
            e[std] = None if raw.get(std) is None else _soft(problems, "string", None, raw[std])
    for name, f in declared.items():
        value = raw.get(name)
        if value is None:
            default = f.default
            if default is not None and f.type == "number":
                default = Decimal(str(default))
            e[name] = default
            if f.required and default is None:
                problems.append("event.missing-field")
            continue
        e[name] = _soft(problems, f.type, f.values, value)
    if problems:
        raise OracleEventError(problems)
    return e


def _soft(problems: list[str], kind: str, values: Sequence[str] | None, value: Any) -> Any:
    try:
        return _convert(kind, values, value)
    except OracleEventError as exc:
        problems.extend(exc.codes)
        return None


# -- calendars ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _country_year(code: str, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date], Any]:
    """Public holidays, make-up working days and weekend of ``code`` around ``year``.

    Asks the package for the years on either side as well: a year's schedule may move a working
    day into the year before.
    """
    country, _, subdiv = code.partition("-")
    data = holidays.country_holidays(
        country, subdiv=subdiv or None, years=[year - 1, year, year + 1]
    )
    makeup = frozenset(getattr(data, "weekend_workdays", ()))
    return frozenset(data.keys()), makeup, frozenset(data.weekend)


def _seconds(text: str) -> int:
    hh, mm = text.strip().split(":")
    return int(hh) * 3600 + int(mm) * 60


def _intervals(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for piece in text.split(","):
        piece = piece.strip()
        if piece and piece.lower() != "closed":
            a, b = piece.split("-")
            out.append((_seconds(a), _seconds(b)))
    return tuple(sorted(out))


def _weekdays_of(key: str) -> list[int] | None:
    """``mon``, ``monday``, ``mon-fri``: the weekdays a key names; None for ``default``."""
    word = key.strip().lower()
    if word == "default":
        return None
    first, _, last = word.partition("-")
    a = WEEKDAYS.index(first[:3])
    return list(range(a, WEEKDAYS.index(last[:3]) + 1)) if last else [a]


@dataclass(frozen=True)
class OracleCalendar:
    """Working days of a country plus a pack's extra days, opening hours and cut-off."""

    code: str
    tz: ZoneInfo
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()
    hours: str | Mapping[str, str] | None = None
    cutoff: dt.time | None = None

    def is_workday(self, d: dt.date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        off, makeup, weekend = _country_year(self.code, d.year)
        if d in makeup:
            return True
        return d.weekday() not in weekend and d not in off

    def add_workdays(self, d: dt.date, n: int) -> dt.date:
        """Walk one date at a time; day 0 is ``d`` whatever it is."""
        step = dt.timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            d += step
            if self.is_workday(d):
                left -= 1
        return d

    def day_zero(self, instant: dt.datetime) -> dt.date:
        """The start's local date, or the next working day when it is strictly after the cut-off."""
        local = instant.astimezone(self.tz)
        if self.cutoff is not None and local.time() > self.cutoff:
            return self.add_workdays(local.date(), 1)
        return local.date()

    def open_intervals(self, d: dt.date) -> tuple[tuple[int, int], ...]:
        """Opening hours of ``d`` as seconds after local midnight (none on a day off)."""
        if not self.is_workday(d):
            return ()
        if self.hours is None:
            return ((0, 86400),)
        if isinstance(self.hours, str):
            return _intervals(self.hours)
        by_day: dict[int, str] = {}
        default: str | None = None
        first: str | None = None
        for key, text in self.hours.items():
            days = _weekdays_of(key)
            if days is None:
                default = text
                continue
            first = text if first is None else first
            for w in days:
                by_day[w] = text
        chosen = by_day.get(d.weekday(), default if default is not None else first)
        return _intervals(chosen or "")

    def wall(self, d: dt.date, seconds: int) -> dt.datetime:
        """The UTC instant of a local wall time; fold=0 picks the first of a repeated time and
        the pre-change offset in a skipped one (docs/calendars.md)."""
        day = d + dt.timedelta(days=seconds // 86400)
        rest = seconds % 86400
        local = dt.datetime.combine(day, dt.time(rest // 3600, rest // 60 % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def add_business_hours(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """Spend ``amount`` of open time interval by interval, from ``start`` on."""
        if amount < dt.timedelta(0):
            raise OracleEventError(["calendar.negative-duration"])
        now = start.astimezone(UTC)
        if not amount:
            return now
        d = now.astimezone(self.tz).date() - dt.timedelta(days=1)  # an open span may cross 00:00
        for _ in range(3000):
            for a_s, b_s in self.open_intervals(d):
                a, b = max(self.wall(d, a_s), now), self.wall(d, b_s)
                if b <= a:
                    continue
                if amount <= b - a:
                    return a + amount
                amount -= b - a
            d += dt.timedelta(days=1)
        raise OracleEventError(["calendar.no-open-hours"])


def _calendar_from(name: str, cal: CalendarSpec, pack_tz: str) -> OracleCalendar:
    return OracleCalendar(
        code=cal.base,
        tz=ZoneInfo(cal.timezone or pack_tz),
        extra_holidays=frozenset(cal.extra_holidays),
        extra_workdays=frozenset(cal.extra_workdays),
        hours=cal.hours,
        cutoff=None if cal.cutoff is None else dt.time.fromisoformat(cal.cutoff),
    )


def choose_calendar(spec: PackSpec, name: str | None, unit: str) -> OracleCalendar | None:
    """docs/pack-format.md, "Which calendar a clock uses", read literally."""
    if name is not None:  # 1.
        if name in spec.calendars:
            return _calendar_from(name, spec.calendars[name], spec.timezone)
        assert len(name) == 2 and name.isupper(), "the loader refuses other names"
        return OracleCalendar(code=name, tz=ZoneInfo(spec.timezone))
    if unit not in CALENDAR_UNITS:  # 2.
        return None
    if "default" in spec.calendars:
        return _calendar_from("default", spec.calendars["default"], spec.timezone)
    if len(spec.calendars) == 1:
        only = next(iter(spec.calendars))
        return _calendar_from(only, spec.calendars[only], spec.timezone)
    return OracleCalendar(code="CN", tz=ZoneInfo(spec.timezone))


# -- due times ----------------------------------------------------------------------------------


def _whole(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"not a number: {amount!r}")
    if amount != int(amount):
        raise ValueError(f"not whole: {amount}")
    return int(amount)


def _elapsed(unit: str, amount: Any) -> dt.timedelta:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"not a number: {amount!r}")
    seconds = Decimal(amount) * (60 if unit == "minutes" else 3600)
    return dt.timedelta(microseconds=int(seconds * 1_000_000))


def _end_of(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=tz)


def due_after(
    unit: str, amount: Any, start: dt.datetime, tz: ZoneInfo, cal: OracleCalendar | None
) -> tuple[dt.datetime, dt.date]:
    """docs/pack-format.md "Deadline units": counted forward from ``start``."""
    if unit in ("minutes", "hours"):
        due = start.astimezone(UTC) + _elapsed(unit, amount)  # elapsed time, not wall time
        return due, due.astimezone(tz).date()
    if unit == "business_hours":
        assert cal is not None
        due = cal.add_business_hours(start, _elapsed("hours", amount))
        return due, due.astimezone(cal.tz).date()
    n = _whole(amount)
    if unit == "days":
        day = start.astimezone(tz).date() + dt.timedelta(days=n)
    elif unit == "months":
        day = start.astimezone(tz).date() + relativedelta(months=n)
    else:
        assert unit == "workdays" and cal is not None
        tz = cal.tz
        day = cal.add_workdays(cal.day_zero(start), n)
    return _end_of(day, tz), day


def due_before(
    unit: str, amount: Any, ref: dt.datetime, tz: ZoneInfo, cal: OracleCalendar | None
) -> tuple[dt.datetime, dt.date]:
    """docs/pack-format.md: a notice deadline counted back from ``ref``."""
    if unit in ("minutes", "hours"):
        due = ref.astimezone(UTC) - _elapsed(unit, amount)
        return due, due.astimezone(tz).date()
    if unit == "business_hours":
        raise ValueError("business hours cannot be counted back")
    n = _whole(amount)
    if unit == "days":
        day = ref.astimezone(tz).date() - dt.timedelta(days=n)
    elif unit == "months":
        day = ref.astimezone(tz).date() - relativedelta(months=n)
    else:
        assert unit == "workdays" and cal is not None
        tz = cal.tz
        day = cal.add_workdays(ref.astimezone(tz).date(), -n)
    return _end_of(day, tz), day


def period_label(at: dt.datetime, period: str, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    if period == "quarter":
        return f"{local.year}-Q{(local.month + 2) // 3}"
    return str(local.year)


# -- rules --------------------------------------------------------------------------------------


def rule_fields(spec: PackSpec, rule: RuleSpec) -> dict[str, str]:
    """The fields every type in the rule's ``on`` has (docs/pack-format.md, ``when``)."""
    per_type = []
    for etype in rule.event_types:
        fields = {"id": "string", "type": "string", "at": "datetime"}
        fields |= {"case": "string", "subject": "string"}
        fields |= {n: f.type for n, f in spec.events[etype].fields.items()}
        per_type.append(fields)
    return {n: t for n, t in per_type[0].items() if all(n in f for f in per_type)}


def _value(
    text: str | int | None,
    fields: Mapping[str, str],
    e: Mapping[str, Any],
    params: Mapping[str, Any],
) -> Any:
    if text is None or isinstance(text, int):
        return text
    return interpret(parse_expr(text, fields=fields, params=params), e, params)


def _applies(rule: RuleSpec, edition: str | None, e: Mapping[str, Any], tz: ZoneInfo) -> bool:
    if rule.editions is not None and edition not in rule.editions:
        return False
    if e["type"] not in rule.event_types:
        return False
    eff = rule.effective
    if eff is None:
        return True
    local_at = e["at"].astimezone(tz).replace(tzinfo=None)
    if eff.from_ is not None and local_at < dt.datetime.combine(eff.from_, dt.time()):
        return False
    return not (eff.until is not None and local_at >= dt.datetime.combine(eff.until, dt.time()))


def reference_outcomes(
    pack: Pack, params: Mapping[str, Any], e: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What each rule of ``pack`` implies for the validated event ``e``, in rule order."""
    spec = pack.spec
    tz = ZoneInfo(spec.timezone)
    out: list[dict[str, Any]] = []
    for rule in spec.rules:
        if not _applies(rule, pack.edition, e, tz):
            continue
        fields = rule_fields(spec, rule)
        if rule.when is not None and not _value(rule.when, fields, e, params):
            continue
        base = {"rule": rule.id, "pack": spec.pack}
        ctx = _Ctx(spec, rule, fields, params, e, tz)
        if rule.deadline is not None:
            out.append({**base, **_deadline(ctx, rule.deadline)})
        elif rule.deduct is not None:
            out.append({**base, **_deduction(ctx, rule.deduct)})
        elif rule.escalate is not None:
            out.append(
                {**base, "kind": "escalation", "to": rule.escalate.to, "level": rule.escalate.level}
            )
        elif rule.check is not None and not _value(rule.check.assert_, fields, e, params):
            out.append({**base, **_violation(ctx, rule.check)})
    return out


@dataclass(frozen=True)
class _Ctx:
    """What one rule's effect is computed from."""

    spec: PackSpec
    rule: Any
    fields: Mapping[str, str]
    params: Mapping[str, Any]
    e: Mapping[str, Any]
    tz: ZoneInfo

    def value(self, text: str | int | None) -> Any:
        return _value(text, self.fields, self.e, self.params)


def _deadline(ctx: _Ctx, dl: Any) -> dict[str, Any]:
    if dl.action != "start":
        return {"kind": "signal", "action": dl.action, "clock": dl.clock}
    assert dl.unit is not None
    amount = ctx.value(dl.within)
    start = ctx.value(dl.start) if dl.start else ctx.e["at"]
    if not isinstance(start, dt.datetime):
        raise TypeError("a clock starts at a date-time")
    cal = choose_calendar(ctx.spec, dl.calendar, dl.unit)
    if dl.before:
        due, day = due_before(dl.unit, amount, ctx.e[dl.before], ctx.tz, cal)
    else:
        due, day = due_after(dl.unit, amount, start, ctx.tz, cal)
    return {
        "kind": "deadline",
        "clock": dl.clock,
        "due": due.astimezone(UTC),
        "due_date": day,
        "severity": ctx.rule.severity,
    }


def _deduction(ctx: _Ctx, deduct: Any) -> dict[str, Any]:
    points = ctx.value(deduct.points)
    if isinstance(points, bool) or not isinstance(points, int | Decimal):
        raise TypeError("points are a number")
    if points <= 0 or points != int(points):
        raise ValueError("points are a positive whole number")
    subject = ctx.value(deduct.subject)
    if subject is None:
        raise ValueError("a deduction needs a subject")
    period = ctx.spec.scorecards[deduct.scorecard].period
    return {
        "kind": "deduction",
        "points": int(points),
        "subject": str(subject),
        "period": period_label(ctx.e["at"], period, ctx.tz),
    }


def _violation(ctx: _Ctx, check: Any) -> dict[str, Any]:
    return {
        "kind": "violation",
        "severity": ctx.rule.severity,
        "observed": ctx.value(check.observed),
        "limit": ctx.value(check.limit),
    }


def compiled_outcomes(raw: list[Any]) -> list[dict[str, Any]]:
    """The compiled engine's raw outcomes in the oracle's shape."""
    from svcrules.runtime import ClockSignal, Deadline, Deduction, Escalation, Violation

    out: list[dict[str, Any]] = []
    for item in raw:
        base = {"rule": item.rule, "pack": item.pack}
        if isinstance(item, ClockSignal):
            out.append({**base, "kind": "signal", "action": item.action, "clock": item.clock})
        elif isinstance(item, Deadline):
            out.append(
                {
                    **base,
                    "kind": "deadline",
                    "clock": item.clock,
                    # as a UTC instant: Python never finds a time in a repeated (DST fold) hour
                    # equal to one in another zone, though both name the same instant
                    "due": item.due.astimezone(UTC),
                    "due_date": item.due_date,
                    "severity": item.severity,
                }
            )
        elif isinstance(item, Deduction):
            out.append(
                {
                    **base,
                    "kind": "deduction",
                    "points": item.points,
                    "subject": item.subject,
                    "period": item.period,
                }
            )
        elif isinstance(item, Escalation):
            out.append({**base, "kind": "escalation", "to": item.to, "level": item.level})
        elif isinstance(item, Violation):
            out.append(
                {
                    **base,
                    "kind": "violation",
                    "severity": item.severity,
                    "observed": item.observed,
                    "limit": item.limit,
                }
            )
    return out
