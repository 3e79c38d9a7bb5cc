"""Runtime: the effect callables the compiler binds once per rule and generated code calls per
event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from svcrules.calendars import Calendar
from svcrules.diagnostics import Diagnostic
from svcrules.errors import EventError
from svcrules.limits import number_problem
from svcrules.runtime.due import due_after, due_before, period_label, require_instant
from svcrules.runtime.results import (
    Cite,
    ClockSignal,
    Deadline,
    Deduction,
    Escalation,
    Explanation,
    Severity,
    Violation,
)


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What every outcome of a rule names: the rule, its cite, its pack and severity."""

    rule: str
    cite: Cite
    pack: str
    pack_version: str
    severity: Severity
    title: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineEffect:
    meta: RuleMeta
    clock: str
    unit: str
    tz: ZoneInfo
    calendar: Calendar | None
    before: str | None
    notes: tuple[str, ...] = ()

    def __call__(self, e: Mapping[str, Any], amount: Any, start: Any, ref: Any = None) -> Deadline:
        if type(start) is not dt.datetime:
            start = require_instant(start, "the clock's start")
        before = None
        if self.before is not None:
            if ref is None:
                raise EventError(
                    [
                        Diagnostic(
                            "event.missing-field",
                            f"`{e.get('type')}` event has no `{self.before}`, which rule "
                            f"{self.meta.rule!r} counts its notice deadline back from",
                            f"$.{self.before}",
                            rule=self.meta.rule,
                        )
                    ]
                )
            ref = require_instant(ref, self.before)
            due, due_date = due_before(self.unit, amount, ref, self.tz, self.calendar)
            before = (self.before, ref)
        else:
            due, due_date = due_after(self.unit, amount, start, self.tz, self.calendar)
        warnings: tuple[str, ...] = ()
        cal = self.calendar
        confirmed = cal.confirmed_through if cal is not None else None
        # Day-granular dates bound the years touched; only past the confirmed year is it costly.
        if (
            confirmed is not None
            and self.unit in ("workdays", "business_hours")
            and (due_date.year > confirmed or start.year > confirmed)
        ):
            assert cal is not None
            first = min(start, due).astimezone(cal.tz).year
            last = max(start, due).astimezone(cal.tz).year
            projected = [y for y in range(first, last + 1) if cal.is_projected(y)]
            if projected:
                years = ", ".join(map(str, projected))
                warnings = (
                    f"{self.meta.rule}: due date counted on {cal.name}'s projected schedule "
                    f"for {years} (official holidays and make-up days not yet announced)",
                )
        meta = self.meta
        return Deadline(
            meta.rule,
            self.clock,
            e.get("case"),
            start,
            due,
            due_date,
            self.unit,
            "open",
            meta.severity,
            None,
            Explanation(start, self.unit, amount, cal, before, self.notes),
            meta.cite,
            meta.pack,
            meta.pack_version,
            warnings,
        )


@dataclass(frozen=True, slots=True)
class SignalEffect:
    meta: RuleMeta
    clock: str
    action: Literal["stop", "pause", "resume"]

    def __call__(self, e: Mapping[str, Any]) -> ClockSignal:
        return ClockSignal(
            self.meta.rule, self.clock, e.get("case"), self.action, e["at"], self.meta.pack
        )


@dataclass(frozen=True, slots=True)
class DeductEffect:
    meta: RuleMeta
    scorecard: str
    period: str
    tz: ZoneInfo

    def __call__(self, e: Mapping[str, Any], points: Any, subject: Any) -> Deduction:
        if isinstance(points, bool) or not isinstance(points, int | Decimal):
            raise TypeError(f"points must be a number, got {type(points).__name__}")
        problem = number_problem(points)  # before int(), quadratic in a decimal's exponent
        if problem is not None:
            raise ValueError(f"points out of bounds: {problem}")
        if points <= 0 or points != int(points):
            raise ValueError(f"points must be a positive whole number, got {points}")
        if subject is None:
            raise ValueError("a deduction needs a subject")
        meta = self.meta
        return Deduction(
            meta.rule,
            str(subject),
            int(points),
            self.scorecard,
            period_label(e["at"], self.period, self.tz),
            None,
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


@dataclass(frozen=True, slots=True)
class EscalateEffect:
    meta: RuleMeta
    to: str
    level: int
    reason: str

    def __call__(self, e: Mapping[str, Any]) -> Escalation:
        meta = self.meta
        return Escalation(
            meta.rule,
            self.to,
            self.level,
            self.reason,
            e.get("case"),
            e.get("subject"),
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


@dataclass(frozen=True, slots=True)
class CheckEffect:
    meta: RuleMeta
    message: str

    def __call__(self, e: Mapping[str, Any], observed: Any, limit: Any) -> Violation:
        meta = self.meta
        return Violation(
            meta.rule,
            meta.severity,
            self.message,
            observed,
            limit,
            e.get("case"),
            e.get("subject"),
            meta.cite,
            meta.pack,
            meta.pack_version,
        )


EVAL_ERRORS = (TypeError, ArithmeticError, LookupError, ValueError, AttributeError)
"""What a rule's expressions or effect may raise on a bad event; turned into an ``EventError``."""


def rule_failed(
    e: Mapping[str, Any], rule: str, exc: Exception, fields: tuple[str, ...] = ()
) -> EventError:
    """The error for a rule that raised on an event: a missing optional field the rule reads
    (the usual cause) is named as such, anything else is an evaluation error."""
    from dataclasses import replace

    from svcrules.diagnostics import Diagnostic
    from svcrules.errors import SvcrulesError

    if isinstance(exc, SvcrulesError):  # a calendar's own error keeps its code
        return EventError(replace(d, rule=rule) for d in exc.diagnostics)
    missing = [f for f in fields if e.get(f) is None]
    if missing and isinstance(exc, TypeError | ValueError):
        return EventError(
            Diagnostic(
                "event.missing-field",
                f"`{e.get('type')}` event has no `{name}`, which rule {rule!r} needs here",
                f"$.{name}",
                rule=rule,
            )
            for name in missing
        )
    return EventError(
        [
            Diagnostic(
                "event.eval-error",
                f"rule {rule!r} could not be evaluated on this event: {type(exc).__name__}: {exc}",
                path="$",
                rule=rule,
                hint="check the event's field values against the pack's vocabulary",
            )
        ]
    )
