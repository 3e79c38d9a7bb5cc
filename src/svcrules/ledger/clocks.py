"""Ledger: folds one clock's timeline ``(pack, case, clock)`` into its status (open, paused,
met, breached, excused, cancelled), its due time after pauses and extensions, the outcomes it
reports and the ``deadline.*`` events it derives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from svcrules.ledger.model import Derived, Entry, Fold, Key, OutId, derived_id, horizon
from svcrules.runtime.derived import DEADLINE_EVENTS
from svcrules.runtime.due import DAY_UNITS, end_of_day
from svcrules.runtime.plans import ClockPlan
from svcrules.runtime.results import ClockSignal, Deadline, Status
from svcrules.runtime.zones import fixed_offset

_TICK = dt.timedelta(microseconds=1)
_SECOND = dt.timedelta(seconds=1)


def late_ref(unit: str, due: dt.datetime, due_date: dt.date) -> dt.datetime:
    """The instant a clock becomes late: just after ``due`` for exact units; the local midnight
    after the due date for day units (anything on the due date meets them). A day unit's due is
    ``end_of_day`` (23:59:59, the later one if repeated), so that midnight is one second on, in
    elapsed time, whatever the zone's daylight saving does at midnight."""
    if unit in DAY_UNITS:
        return due + _SECOND
    return due


def end_id(key: Key) -> OutId:
    """The identity of a clock's end outcome (its start's is the clock's key): both follow from
    the key, so the ledger need not keep a clock's identities (see ``folding.KeyState``)."""
    return (*key, "end")


def _breach_at(unit: str, due: dt.datetime, due_date: dt.date) -> dt.datetime:
    ref = late_ref(unit, due, due_date)
    return ref if unit in DAY_UNITS else ref + _TICK


@dataclass(slots=True)
class _Clock:
    plan: ClockPlan | None
    start: Deadline
    due: dt.datetime
    due_date: dt.date
    status: Status = "open"
    paused_at: dt.datetime | None = None
    breached: bool = False
    closed: bool = False
    stopped_at: dt.datetime | None = None
    notes: list[str] = field(default_factory=list)
    warned: dict[Decimal, dt.datetime] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return self.start.unit

    @property
    def zone(self) -> dt.tzinfo:
        """The zone the clock's due time is counted in (the calendar's for working days and
        business hours, else the pack's); ``due`` holds only that zone's offset at the time."""
        plan = self.plan
        if plan is None:
            tz = self.due.tzinfo
            assert tz is not None
            return tz
        if plan.calendar is not None and self.unit in ("workdays", "business_hours"):
            return plan.calendar.tz
        return plan.tz

    def breach_at(self) -> dt.datetime:
        return _breach_at(self.unit, self.due, self.due_date)

    def warn_instants(self) -> list[tuple[dt.datetime, Decimal]]:
        if self.plan is None:
            return []
        span = self.due - self.start.start
        out = []
        for f in self.plan.warn_at:
            if f not in self.warned:
                num, den = f.as_integer_ratio()
                out.append((self.start.start + span * num / den, f))
        return sorted(out)

    def run_timers(self, t: dt.datetime) -> None:
        """Fire the warnings and the breach whose instant is at or before ``t``."""
        if self.closed or self.status != "open":
            return
        for instant, f in self.warn_instants():
            if instant <= t:
                self.warned[f] = instant
        if not self.breached and self.breach_at() <= t:
            self.breached = True

    def next_timer(self) -> dt.datetime | None:
        if self.closed or self.status != "open":
            return None
        pending = [i for i, _ in self.warn_instants()]
        if not self.breached:
            pending.append(self.breach_at())
        return min(pending) if pending else None

    def shift(self, paused: dt.datetime, resumed: dt.datetime) -> None:
        """Move the due time by the paused span, measured in the clock's unit."""
        unit, plan, tz = self.unit, self.plan, self.zone
        cal = plan.calendar if plan is not None else None
        if unit in ("minutes", "hours"):
            local = (self.due + (resumed - paused)).astimezone(tz)  # elapsed time, not wall time
            self.due, self.due_date = fixed_offset(local), local.date()
            moved = f"{resumed - paused}"
        elif unit == "business_hours" and cal is not None:
            open_time = cal.business_time_between(paused, resumed)
            hours = Decimal(open_time.total_seconds()) / 3600
            local = cal.add_business_hours(self.due, hours)  # in the calendar's zone
            self.due, self.due_date = fixed_offset(local), local.date()
            moved = f"{open_time} of opening hours"
        else:
            p = paused.astimezone(tz).date()
            r = resumed.astimezone(tz).date()
            last = r - dt.timedelta(days=1)
            if unit == "workdays" and cal is not None:
                n = cal.workdays_between(p, last) if last > p else 0
                self.due_date = cal.add_workdays(self.due_date, n) if n else self.due_date
                moved = f"{n} working day(s)"
            else:
                n = max(0, (last - p).days)
                self.due_date = self.due_date + dt.timedelta(days=n)
                moved = f"{n} day(s)"
            self.due = end_of_day(self.due_date, tz)
        self.notes.append(
            f"paused {paused.isoformat()} to {resumed.isoformat()}: due moved by {moved}"
        )

    def extend(self, signal: ClockSignal) -> None:
        until = signal.until
        assert until is not None
        t = signal.at
        if self.breached:
            self.notes.append(
                f"extension by {signal.rule} at {t.isoformat()} ignored: it came after the due "
                f"time {self.due.isoformat()}"
            )
            return
        tz = self.zone
        if self.unit in DAY_UNITS:
            new_date = until.astimezone(tz).date()
            new_due = end_of_day(new_date, tz)
        else:
            local = until.astimezone(tz)
            new_due, new_date = fixed_offset(local), local.date()
        if new_due <= self.due:
            self.notes.append(
                f"extension by {signal.rule} at {t.isoformat()} ignored: {until.isoformat()} "
                f"is not later than the due time {self.due.isoformat()}"
            )
            return
        self.notes.append(
            f"extended by {signal.rule} at {t.isoformat()} from {self.due.isoformat()} "
            f"to {new_due.isoformat()}"
        )
        self.due, self.due_date = new_due, new_date

    def apply(self, signal: ClockSignal) -> None:
        t = signal.at
        live = not self.closed
        match signal.action:
            case "stop" if live:
                if self.status == "paused":
                    self._resume(t)
                    self.run_timers(t)
                self.stopped_at = t
                self.closed = True
                self.status = "breached" if self.breached else "met"
            case "pause" if live and self.status == "open" and not self.breached:
                self.paused_at = t
                self.status = "paused"
            case "resume" if live and self.status == "paused":
                self._resume(t)
            case "cancel" if live:
                self.closed = True
                self.status = "breached" if self.breached else "cancelled"
            case "extend" if live:
                self.extend(signal)
            case _:
                pass  # excuses are applied over the whole timeline; anything else is moot

    def _resume(self, t: dt.datetime) -> None:
        assert self.paused_at is not None
        self.shift(self.paused_at, t)
        self.paused_at = None
        self.status = "open"


def fold_clock(
    key: Key,
    entries: list[Entry],
    now: dt.datetime | None,
    plans: Mapping[str, ClockPlan],
    wanted: Container[str] = DEADLINE_EVENTS,
) -> Fold:
    """Fold a clock's timeline (sorted) at watermark ``now``; derive only the ``wanted``
    event types (those some rule is on)."""
    chosen = _opening(entries, plans)
    if chosen is None:
        return Fold()
    start = chosen.intent
    assert isinstance(start, Deadline)
    clock = _Clock(plans.get(start.rule), start, start.due, start.due_date)
    excuses = [e.intent for e in entries if isinstance(e.intent, ClockSignal)]
    excuse = next((s for s in excuses if s.action == "excuse"), None)
    for entry in entries:
        if entry <= chosen or not isinstance(entry.intent, ClockSignal):
            continue
        clock.run_timers(entry.intent.at)
        clock.apply(entry.intent)
    end = horizon(entries, now)
    if end is not None:
        clock.run_timers(end)
    return _result(key, clock, start, excuse, wanted)


def _opening(entries: list[Entry], plans: Mapping[str, ClockPlan]) -> Entry | None:
    """The entry that opens the clock: its first start, or with ``starts: all`` the latest of
    the first start of each listed event type, once all have been seen."""
    starts = [e for e in entries if isinstance(e.intent, Deadline)]
    if not starts:
        return None
    first = starts[0]
    assert isinstance(first.intent, Deadline)
    plan = plans.get(first.intent.rule)
    if plan is None or not plan.starts_all:
        return first
    firsts: dict[str, Entry] = {}
    for e in starts:
        firsts.setdefault(e.etype, e)
    if not set(plan.starts_all) <= set(firsts):
        return None
    return max(firsts.values(), key=lambda e: e.order)


def _result(
    key: Key, clock: _Clock, start: Deadline, excuse: ClockSignal | None, wanted: Container[str]
) -> Fold:
    status: Status = clock.status
    if clock.breached and not clock.closed:
        status = "breached"
    if status == "breached" and excuse is not None:
        status = "excused"
        clock.notes.append(f"breach excused by {excuse.rule} ({excuse.event_id})")
    late_by = None
    ref = late_ref(clock.unit, clock.due, clock.due_date)
    if status in ("breached", "excused") and clock.stopped_at is not None:
        late_by = clock.stopped_at - ref
    explain = start.explain.with_notes(*clock.notes) if clock.notes else start.explain
    unchanged = (
        status == start.status
        and clock.due is start.due
        and clock.due_date == start.due_date
        and late_by is None
        and explain is start.explain
    )
    view = (
        start  # an open clock as started: share it (a ledger holds one per open clock)
        if unchanged
        else replace(
            start,
            status=status,
            due=clock.due,
            due_date=clock.due_date,
            late_by=late_by,
            explain=explain,
        )
    )
    fold = Fold(view=view, next_timer=None if excuse and clock.breached else clock.next_timer())
    fold.outputs[key] = start  # the start's identity is the clock's key: no tuple per clock
    if status not in ("open", "paused"):
        fold.outputs[end_id(key)] = view
    base = {
        "case": start.case,
        "clock": start.clock,
        "rule": start.rule,
        "start": start.start,
        "due": clock.due,
        "unit": start.unit,
        "severity": start.severity,
    }

    def emit(kind: str, at: dt.datetime, *parts: object, **extra: object) -> None:
        if f"deadline.{kind}" in wanted:
            did = derived_id(key, kind, *parts)
            fold.derived[did] = Derived(did, f"deadline.{kind}", at, {**base, **extra})

    emit("started", start.start)
    for f, instant in sorted(clock.warned.items()):
        if status == "excused" and f >= 1:
            continue
        emit("warned", instant, f, fraction=f)
    if status == "met" and clock.stopped_at is not None:
        emit("met", clock.stopped_at, late_by_minutes=Decimal(0))
    elif status == "breached":
        minutes = None
        if late_by is not None:
            minutes = Decimal(int(late_by.total_seconds() * 1_000_000)) / 60_000_000
        emit("breached", ref, late_by_minutes=minutes)
    return fold
