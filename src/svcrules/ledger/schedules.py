"""Ledger: folds one schedule ``(pack, schedule, subject)``: the occurrences of its recurrence
rule since the subject is known (or the schedule's start, for listed subjects), each met by an
event of the rule in ``(previous occurrence, occurrence]`` or reported once as missed."""

from __future__ import annotations

import bisect
import datetime as dt
import functools

from dateutil.rrule import rrule, rrulestr

from svcrules.ledger.model import Derived, Entry, Fold, Key, derived_id
from svcrules.runtime.plans import SchedulePlan
from svcrules.runtime.results import Violation

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
    and a ``schedule.missed`` event; the next occurrence is the key's timer."""
    fold = Fold()
    if known_from is None:
        return fold
    last = entries[-1].at if entries else None
    end = now if last is None or (now is not None and now > last) else last
    if end is None:
        return fold
    tz = plan.start.tzinfo
    assert tz is not None
    meets = [e.at for e in entries]
    subject = key[3]
    previous = known_from - dt.timedelta(microseconds=1)
    local_from = previous.astimezone(tz).replace(tzinfo=None)
    occurrences = _rule(plan.rrule, plan.start).xafter(local_from, inc=False)
    for seen, naive in enumerate(occurrences, start=1):
        occurrence = naive.replace(tzinfo=tz)
        if occurrence > end:
            fold.next_timer = occurrence
            break
        if seen > MAX_OCCURRENCES:
            fold.warnings = (
                f"schedule {plan.name} for {subject}: more than {MAX_OCCURRENCES} occurrences "
                f"to look at; later ones are not tracked",
            )
            break
        utc = occurrence.astimezone(dt.UTC)
        i = bisect.bisect_right(meets, previous.astimezone(dt.UTC))
        if i >= len(meets) or meets[i] > utc:
            _missed(fold, key, plan, subject, occurrence)
        previous = occurrence
    fold.view = len(fold.outputs)
    return fold


def _missed(fold: Fold, key: Key, plan: SchedulePlan, subject: str, at: dt.datetime) -> None:
    did = derived_id(key, "missed", at)
    meta = plan.meta
    fold.outputs[(*key, "missed", at.isoformat())] = Violation(
        rule=meta.rule,
        severity=meta.severity,
        message=(
            f"schedule {plan.name}: the occurrence of {at.isoformat()} passed without "
            f"{' or '.join(plan.met_by)}"
        ),
        observed=None,
        limit=at,
        subject=subject,
        cite=meta.cite,
        pack=meta.pack,
        pack_version=meta.pack_version,
        event_id=did,
    )
    fold.derived[did] = Derived(
        did,
        "schedule.missed",
        at,
        {"schedule": plan.name, "occurrence": at, "rule": meta.rule, "subject": subject},
    )
