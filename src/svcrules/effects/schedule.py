"""Effects: ``schedule`` declares a recurring obligation (an RFC 5545 rule) that the rule's
events meet (``ScheduleIntent``); the ledger reports each occurrence that passes without one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from dateutil import rrule as _rrule
from pydantic import Field, StrictInt

from svcrules.diagnostics import Diagnostic
from svcrules.effects.base import CheckContext, EffectSpec, EmitContext, Emitted, Name
from svcrules.runtime.derived import SCHEDULE_EVENTS
from svcrules.runtime.effects import RuleMeta
from svcrules.runtime.intents import ScheduleIntent

DEFAULT_START = dt.datetime(2000, 1, 1)
"""A schedule's ``start`` when the pack gives none (local time in the pack's zone)."""
_TOO_FINE = re.compile(r"FREQ=(SECONDLY|MINUTELY|HOURLY)\b")
_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def parse_grace(value: object) -> dt.timedelta:
    """A schedule's ``grace``: whole minutes (an int) or an ISO 8601 duration in weeks, days,
    hours, minutes and seconds (``PT30M``, ``P1D``, ``P6DT23H``); positive. Raises
    ``ValueError`` otherwise (months and years have no fixed length and are refused)."""
    if isinstance(value, bool):
        raise ValueError(f"a grace is minutes or an ISO 8601 duration, not {value!r}")
    if isinstance(value, int):
        grace = dt.timedelta(minutes=value)
    elif isinstance(value, str):
        match = _ISO_DURATION.fullmatch(value.strip().upper())
        if match is None or value.strip().upper().endswith("T"):
            raise ValueError(
                f"a grace is minutes or an ISO 8601 duration such as PT30M or P1D, not {value!r}"
            )
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        grace = dt.timedelta(**parts)
    else:
        raise ValueError(f"a grace is minutes or an ISO 8601 duration, not {value!r}")
    if grace <= dt.timedelta(0):
        raise ValueError(f"a grace is positive, not {value!r}")
    return grace


class ScheduleSpec(EffectSpec):
    key: ClassVar[str] = "schedule"

    name: Name = Field(description="The schedule's name; rules meeting it share the name")
    rrule: str = Field(description="RFC 5545 recurrence, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=13")
    start: dt.datetime | dt.date | None = Field(
        default=None, description="Local start (DTSTART) of the recurrence; default 2000-01-01"
    )
    subjects: str | tuple[str, ...] = Field(
        default="known",
        description=(
            "`known` (every subject once the ledger has seen it), `reporting` (every subject "
            "from its first event of this rule), a list, or params.NAME"
        ),
    )
    grace: StrictInt | str | None = Field(
        default=None,
        description=(
            "How long after an unmet occurrence an event still meets it, late (schedule.late): "
            "minutes, an ISO 8601 duration (PT30M, P1D), or params.NAME"
        ),
    )

    def local_start(self) -> dt.datetime:
        """The recurrence's DTSTART as a naive local date-time."""
        if self.start is None:
            return DEFAULT_START
        if isinstance(self.start, dt.datetime):
            return self.start.replace(tzinfo=None)
        return dt.datetime.combine(self.start, dt.time())

    def recurrence(self) -> _rrule.rrule:
        """The parsed rule (raises ``ValueError`` on a bad one)."""
        text = self.rrule.strip()
        if "DTSTART" in text.upper():
            raise ValueError("give the start as `start:`, not DTSTART in the rule")
        if _TOO_FINE.search(text.upper()):
            raise ValueError("schedules recur daily or less often (FREQ=DAILY at the finest)")
        try:
            parsed = _rrule.rrulestr(text, dtstart=self.local_start(), cache=True)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValueError(str(exc) or type(exc).__name__) from None
        if not isinstance(parsed, _rrule.rrule):  # pragma: no cover - one RRULE line gives an rrule
            raise ValueError("one RRULE, not a set")
        return parsed

    def check(self, ctx: CheckContext) -> Iterator[Diagnostic]:
        try:
            self.recurrence()
        except ValueError as exc:
            yield ctx.problem(
                "schedule.rrule",
                f"cannot use this recurrence rule: {exc}",
                "rrule",
                hint="e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=13;BYMINUTE=0;BYSECOND=0",
            )
        if isinstance(self.subjects, str) and self.subjects not in ("known", "reporting"):
            param = self.subjects.removeprefix("params.")
            if param == self.subjects or param not in ctx.names.params:
                yield ctx.problem(
                    "schedule.subjects",
                    f"`subjects` is `known`, `reporting`, a list, or params.NAME of a declared "
                    f"param, "
                    f"not {self.subjects!r}",
                    "subjects",
                )
        if isinstance(self.grace, str) and self.grace.startswith("params."):
            if self.grace.removeprefix("params.") not in ctx.names.params:
                yield ctx.problem(
                    "schedule.grace",
                    f"`grace` names {self.grace!r}, which is not a declared param",
                    "grace",
                )
        elif self.grace is not None:
            try:
                parse_grace(self.grace)
            except ValueError as exc:
                yield ctx.problem("schedule.grace", str(exc), "grace", hint="e.g. grace: P1D")
        if "subject" not in ctx.fields:  # pragma: no cover - every event has `subject`
            yield ctx.problem("schedule.subjects", "the rule's events have no subject", "on")

    def produces(self) -> tuple[str, ...]:
        return SCHEDULE_EVENTS

    def emit(self, ctx: EmitContext) -> Emitted:
        fx = ctx.bind(ScheduleEffect(ctx.meta, self.name))
        return Emitted(f"{fx}(e)", f"meets schedule {self.name} ({self.rrule})", reads=("subject",))


@dataclass(frozen=True, slots=True)
class ScheduleEffect:
    meta: RuleMeta
    schedule: str

    def __call__(self, e: Mapping[str, Any]) -> ScheduleIntent:
        subject = e.get("subject")
        if subject is None:
            raise ValueError(f"schedule {self.schedule!r} is kept per subject")
        meta = self.meta
        return ScheduleIntent(
            rule=meta.rule,
            schedule=self.schedule,
            subject=str(subject),
            at=e["at"],
            case=e.get("case"),
            cite=meta.cite,
            pack=meta.pack,
            pack_version=meta.pack_version,
            event_id=e["id"],
        )
