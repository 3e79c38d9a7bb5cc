"""Effects: ``deadline`` starts, stops, pauses or resumes an SLA clock; a start computes the due
time (``Deadline``), the others are clock signals for the ledger (``ClockSignal``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from svcrules.diagnostics import Diagnostic, did_you_mean
from svcrules.effects.base import (
    CheckContext,
    EffectSpec,
    EmitContext,
    Emitted,
    ExprText,
    Name,
    Site,
    Unit,
)
from svcrules.runtime.derived import DEADLINE_EVENTS
from svcrules.runtime.due import due_after, due_before, require_instant
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.explain import Args, explanation
from svcrules.runtime.results import ClockSignal, Deadline, SignalAction

if TYPE_CHECKING:
    from svcrules.calendars import Calendar


class DeadlineSpec(EffectSpec):
    """An SLA clock: started with a due time, or stopped, paused, resumed, cancelled, excused
    or extended by later events."""

    key: ClassVar[str] = "deadline"

    clock: Name = Field(
        description="The clock's name (snake_case); stop, pause and resume name a started clock",
        examples=["arrival"],
    )
    action: Literal["start", "stop", "pause", "resume", "cancel", "excuse", "extend"] = Field(
        default="start", description="What the rule does to the clock"
    )
    within: int | Decimal | ExprText | None = Field(
        default=None,
        description="Amount of `unit`: a number (fractional for minutes, hours and "
        "business_hours), or an expression such as `params.reply_days`",
        examples=[45, 1.5, "params.arrival_minutes[area]"],
        json_schema_extra={
            "markdownDescription": "How much time the clock gives, counted in `unit` from the "
            "start: a number (fractional only for `minutes`, `hours` and `business_hours`) or "
            "an expression such as `params.arrival_minutes[area]`.\n\nExample: "
            "`within: 45` with `unit: minutes`"
        },
    )
    unit: Unit | None = Field(
        default=None,
        description="What `within` counts: minutes, hours, days, workdays, months or "
        "business_hours",
        json_schema_extra={
            "markdownDescription": "What `within` counts: `minutes`, `hours` (exact time), "
            "`days` (calendar days, due at the end of the day), `workdays` (working days of "
            "the calendar), `months`, or `business_hours` (the calendar's opening hours)"
        },
    )
    before: Name | None = Field(
        default=None, description="Event field holding the instant a notice is counted back from"
    )
    start: ExprText | None = Field(
        default=None, description="Expression for the start instant (default: the event's `at`)"
    )
    starts: Literal["any", "all"] = Field(
        default="any", description="`all`: the clock starts at the last of the rule's events"
    )
    calendar: str | None = Field(
        default=None,
        description="A calendar under `calendars`, or a two-letter country code",
        examples=["cn", "CN"],
    )
    warn_at: tuple[Decimal, ...] = Field(
        default=(), description="Fractions of the span at which to warn", examples=[[0.5, 0.8]]
    )
    until: ExprText | None = Field(
        default=None, description="`extend`: expression for the new due instant"
    )

    def expr_sites(self) -> Iterator[tuple[Site, str]]:
        if isinstance(self.within, str):
            yield ("within",), self.within
        if self.start is not None:
            yield ("start",), self.start
        if self.until is not None:
            yield ("until",), self.until

    def produces(self) -> tuple[str, ...]:
        return DEADLINE_EVENTS

    def declares(self) -> Iterator[tuple[str, str]]:
        if self.action == "start":
            yield "clocks", self.clock

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        if (self.action == "extend") != (self.until is not None):
            yield ctx.problem(
                "deadline.until",
                "an `extend` needs `until` (the new due instant), and only an `extend` takes it",
                "until" if self.until is not None else "action",
                hint="e.g. action: extend, until: new_due",
            )
        yield from self._check_within(ctx)
        yield from self._check_action(ctx)
        if (
            self.calendar is not None
            and self.calendar not in ctx.names.calendars
            and not (self.calendar.isupper() and len(self.calendar) == 2)
        ):
            yield ctx.problem(
                "ref.calendar",
                f"calendar {self.calendar!r} is not declared in `calendars`",
                "calendar",
                hint=ctx.known("calendars", self.calendar),
            )
        yield from self._check_before(ctx)
        if self.starts == "all" and len(ctx.event_types) < 2:
            yield ctx.problem(
                "deadline.starts-all",
                "`starts: all` needs two or more event types in `on`",
                "starts",
            )
        for j, frac in enumerate(self.warn_at):
            if frac <= 0:
                yield ctx.problem(
                    "deadline.warn-at",
                    "warning fractions are positive (0.5, 0.8, 1.5)",
                    "warn_at",
                    j,
                )

    def _check_within(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        """A literal amount is a span: never negative, whole for day-granular units."""
        if isinstance(self.within, int | Decimal) and not isinstance(self.within, bool):
            if self.within < 0:
                yield ctx.problem(
                    "deadline.within",
                    f"`within` is a span, not negative: {self.within}",
                    "within",
                    hint="count back from an event field with `before:` for a notice deadline",
                )
            elif self.unit in ("days", "workdays", "months") and self.within != int(self.within):
                yield ctx.problem(
                    "deadline.within",
                    f"{self.unit} are counted whole, not {self.within}",
                    "within",
                    hint="use a whole number, or a finer unit (hours, minutes)",
                )

    def _check_action(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        """A start has its amount; the other actions refer to a clock some rule starts."""
        if self.action == "start":
            if self.within is None or self.unit is None:
                yield ctx.problem(
                    "deadline.incomplete",
                    "a clock that starts needs `within` and `unit`",
                    hint="e.g. within: 45, unit: minutes",
                )
        else:
            if self.within is not None or self.unit is not None or self.before is not None:
                yield ctx.problem(
                    "deadline.extra",
                    f"a `{self.action}` takes only `clock`; `within`, `unit` and `before` belong "
                    "to the rule that starts it",
                )
            if self.clock not in ctx.names.clocks:
                yield ctx.problem(
                    "ref.clock",
                    f"no rule starts clock {self.clock!r}",
                    "clock",
                    hint=did_you_mean(self.clock, ctx.names.clocks) or _known(ctx.names.clocks),
                )

    def _check_before(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        """A notice deadline counts back from a datetime field, in a unit that can count back."""
        if self.before is not None:
            if ctx.fields_known and ctx.fields.get(self.before) != "datetime":
                yield ctx.problem(
                    "ref.field",
                    f"`before` names {self.before!r}, which is not a datetime field of "
                    f"{', '.join(ctx.event_types)}",
                    "before",
                )
            if self.unit == "business_hours":
                yield ctx.problem(
                    "deadline.before-unit",
                    "a notice deadline is counted back in minutes, hours, days, workdays or "
                    "months, not business hours",
                    "unit",
                )

    def emit(self, ctx: EmitContext) -> Emitted:
        if self.action == "extend":
            fx = ctx.bind(SignalEffect(ctx.meta, self.clock, self.action))
            until = ctx.inline(self.until, ("until",))
            return Emitted(f"{fx}(e, {until})", f"clock {self.clock}: extend until {self.until}")
        if self.action != "start":
            fx = ctx.bind(SignalEffect(ctx.meta, self.clock, self.action))
            return Emitted(f"{fx}(e)", f"clock {self.clock}: {self.action}")
        assert self.unit is not None
        notes: tuple[str, ...] = ()
        if self.starts == "all":
            notes = (
                f"clock {self.clock!r} starts at the last of {', '.join(ctx.event_types)}; "
                f"evaluated on this event alone it counts from this event",
            )
        cal = ctx.calendar_for(self.calendar, self.unit)
        fx = ctx.bind(
            DeadlineEffect(ctx.meta, self.clock, self.unit, ctx.tz, cal, self.before, notes)
        )
        start = ctx.inline(self.start, ("start",)) if self.start else "e['at']"
        ref = f"e[{self.before!r}]" if self.before else "None"
        call = f"{fx}(e, {ctx.inline(self.within, ('within',))}, {start}, {ref})"
        what = "before " + self.before if self.before else "after the event"
        reads = (self.before,) if self.before else ()
        return Emitted(call, f"clock {self.clock}: {self.within} {self.unit} {what}", reads=reads)


def _known(names: frozenset[str]) -> str | None:
    return f"known: {', '.join(sorted(names)[:12])}" if names else None


@dataclass(frozen=True, slots=True)
class DeadlineEffect:
    """Starts a clock: the due time, its explanation and any projected-year warning."""

    meta: RuleMeta
    clock: str
    unit: str
    tz: ZoneInfo
    calendar: Calendar | None
    before: str | None
    notes: tuple[str, ...] = ()
    shared: dict[Any, Args] = field(default_factory=dict, compare=False, repr=False)
    """The explanation arguments of its counts forward, by amount (a few: ``within`` is mostly a
    literal or a choice of literals): its explanations share them (a ledger holds one per open
    clock)."""

    def _args(self, amount: Any, before: tuple[str, dt.datetime] | None) -> Args:
        if before is not None:
            return (self.unit, amount, before, self.notes)
        args = self.shared.get(amount)
        if args is None or args[1] is not amount:  # equal is not enough: 1 vs Decimal("1.0")
            args = (self.unit, amount, None, self.notes)
            if len(self.shared) < 32:
                self.shared.setdefault(amount, args)
        return args

    def __call__(self, e: Mapping[str, Any], amount: Any, start: Any, ref: Any = None) -> Deadline:
        if type(start) is not dt.datetime:
            start = require_instant(start, "the clock's start")
        before = None
        if self.before is not None:
            ref = require_instant(ref, self.before)
            due, due_date = due_before(self.unit, amount, ref, self.tz, self.calendar)
            before = (self.before, ref)
        else:
            due, due_date = due_after(self.unit, amount, start, self.tz, self.calendar)
        cal = self.calendar
        warnings: tuple[str, ...] = ()
        confirmed = cal.confirmed_through if cal is not None else None
        # Day-granular dates bound the years touched; only past the confirmed year is it costly.
        if (
            confirmed is not None
            and self.unit in ("workdays", "business_hours")
            and (due_date.year > confirmed or start.year > confirmed)
        ):
            warnings = self._projected(start, due)
        meta = self.meta
        return Deadline(
            rule=meta.rule,
            clock=self.clock,
            case=e.get("case"),
            start=start,
            due=due,
            due_date=due_date,
            unit=self.unit,
            severity=meta.severity,
            explain=explanation(start, self._args(amount, before), cal),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
            warnings=warnings,
        )

    def _projected(self, start: dt.datetime, due: dt.datetime) -> tuple[str, ...]:
        cal = self.calendar
        assert cal is not None
        first = min(start, due).astimezone(cal.tz).year
        last = max(start, due).astimezone(cal.tz).year
        projected = [y for y in range(first, last + 1) if cal.is_projected(y)]
        if not projected:
            return ()
        years = ", ".join(map(str, projected))
        return (
            f"{self.meta.rule}: due date counted on {cal.name}'s projected schedule "
            f"for {years} (official holidays and make-up days not yet announced)",
        )


@dataclass(frozen=True, slots=True)
class SignalEffect:
    """Stops, pauses, resumes, cancels, excuses or extends a clock: a ``ClockSignal`` for the
    ledger (an extension carries the new due instant)."""

    meta: RuleMeta
    clock: str
    action: SignalAction

    def __call__(self, e: Mapping[str, Any], until: Any = None) -> ClockSignal:
        meta = self.meta
        if self.action == "extend":
            until = require_instant(until, "the extension's `until`")
        return ClockSignal(
            rule=meta.rule,
            clock=self.clock,
            case=e.get("case"),
            action=self.action,
            at=e["at"],
            until=until,
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
        )
