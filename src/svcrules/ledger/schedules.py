"""Ledger: folds one schedule ``(pack, schedule, subject)``: the occurrences of its recurrence
rule since the subject is known (or the schedule's start, for listed subjects), each met by an
event of the rule in ``(previous occurrence, occurrence]``, or — with a ``grace`` — met late by
the first event after it within the grace and before the next occurrence (that event then
counts for this occurrence only), or reported once as missed."""

from __future__ import annotations

import bisect
import datetime as dt
import functools

from dateutil.rrule import rrule, rrulestr

from svcrules.ledger.model import Derived, Entry, Fold, Key, derived_id
from svcrules.runtime.plans import SchedulePlan
from svcrules.runtime.results import Violation
from svcrules.runtime.zones import fixed_offset

MAX_OCCURRENCES = 5000
"""Occurrences one fold of one schedule key looks at. Schedules recur daily at the finest (the
pack check refuses finer rules), so this is more than 13 years of a daily obligation; past it the
fold stops, warns, and reports nothing later for that subject."""


@functools.lru_cache(maxsize=256)
def _rule(text: str, start: dt.datetime) -> rrule:
    parsed = rrulestr(text.strip(), dtstart=start.replace(tzinfo=None), cache=True)
    assert isinstance(parsed, rrule)
    return parsed


def fold_schedule(
    key: Key,
    entries: list[Entry],
    known_from: dt.datetime | None,
    plan: SchedulePlan,
    now: dt.datetime | None,
) -> Fold:
    """Occurrences after ``known_from`` up to the horizon: missed ones become a ``Violation``
    and a ``schedule.missed`` event, ones met late (within the grace) a ``Violation`` and a
    ``schedule.late`` event; the next occurrence is the key's timer."""
    fold = Fold()
    if plan.from_own_events:  # `subjects: reporting`: obligated from its first own event
        known_from = entries[0].at if entries and known_from is not None else None
    if known_from is None:
        return fold
    last = entries[-1].at if entries else None
    end = now if last is None or (now is not None and now > last) else last
    tz = plan.start.tzinfo
    assert tz is not None
    if end is None:  # nothing has happened yet: the first occurrence is the timer
        first = _rule(plan.rrule, plan.start).after(
            known_from.astimezone(tz).replace(tzinfo=None), inc=True
        )
        fold.next_timer = fixed_offset(first.replace(tzinfo=tz)) if first is not None else None
        return fold
    meets = [e.at for e in entries]
    subject = key[3]
    consumed = known_from - dt.timedelta(microseconds=1)  # events up to it count for earlier
    local_from = consumed.astimezone(tz).replace(tzinfo=None)
    occurrences = _rule(plan.rrule, plan.start).xafter(local_from, inc=False)
    upcoming = next(occurrences, None)
    seen = 0
    while upcoming is not None:
        seen += 1
        occurrence = fixed_offset(upcoming.replace(tzinfo=tz))  # see runtime.zones
        if occurrence > end:
            fold.next_timer = occurrence
            break
        if seen > MAX_OCCURRENCES:
            fold.warnings = (
                f"schedule {plan.name} for {subject}: more than {MAX_OCCURRENCES} occurrences "
                f"to look at; later ones are not tracked",
            )
            break
        upcoming = next(occurrences, None)
        i = bisect.bisect_right(meets, consumed)
        if i < len(meets) and meets[i] <= occurrence:  # on time: every event up to it counts
            consumed = occurrence
            continue
        late = _late_meeting(meets, i, occurrence, upcoming, tz, plan.grace)
        if late is None:
            _missed(fold, key, plan, subject, occurrence)
            consumed = occurrence
        else:  # the first event after it, within the grace: this occurrence's, late
            _late(fold, key, plan, subject, occurrence, late)
            consumed = late
    fold.view = len(fold.outputs)
    return fold


def _late_meeting(
    meets: list[dt.datetime],
    i: int,
    occurrence: dt.datetime,
    upcoming: dt.datetime | None,
    tz: dt.tzinfo,
    grace: dt.timedelta | None,
) -> dt.datetime | None:
    """The first event after an unmet occurrence that meets it late: within ``(occurrence,
    occurrence + grace]`` and before the next occurrence (an event at the next occurrence is
    that one's, on time)."""
    if grace is None or i >= len(meets):
        return None
    first = meets[i]
    if first > occurrence + grace:
        return None
    if upcoming is not None and first >= upcoming.replace(tzinfo=tz):
        return None
    return first


def _late(
    fold: Fold, key: Key, plan: SchedulePlan, subject: str, occurrence: dt.datetime, at: dt.datetime
) -> None:
    late_by = at - occurrence
    message = (
        f"schedule {plan.name}: the occurrence of {occurrence.isoformat()} was met late, "
        f"at {at.astimezone(occurrence.tzinfo).isoformat()}"
    )
    extra: dict[str, object] = {"late_by_minutes": late_by / dt.timedelta(minutes=1)}
    _report(fold, key, plan, subject, "late", occurrence, at, message, late_by, extra)


def _missed(fold: Fold, key: Key, plan: SchedulePlan, subject: str, at: dt.datetime) -> None:
    message = (
        f"schedule {plan.name}: the occurrence of {at.isoformat()} passed without "
        f"{' or '.join(plan.met_by)}"
    )
    _report(fold, key, plan, subject, "missed", at, at, message, None, {})


def _report(
    fold: Fold,
    key: Key,
    plan: SchedulePlan,
    subject: str,
    what: str,
    occurrence: dt.datetime,
    at: dt.datetime,
    message: str,
    observed: dt.timedelta | None,
    extra: dict[str, object],
) -> None:
    """An occurrence missed or met late: a violation, and the derived ``schedule.<what>``."""
    did = derived_id(key, what, occurrence)
    meta = plan.meta
    fold.outputs[(*key, what, occurrence.isoformat())] = Violation(
        rule=meta.rule,
        severity=meta.severity,
        message=message,
        observed=observed,
        limit=occurrence,
        subject=subject,
        cite=meta.cite,
        pack=meta.pack,
        pack_version=meta.pack_version,
        event_id=did,
        at=at,
    )
    fields = {
        "schedule": plan.name,
        "occurrence": occurrence,
        "rule": meta.rule,
        "subject": subject,
    }
    fold.derived[did] = Derived(did, f"schedule.{what}", at, {**fields, **extra})
