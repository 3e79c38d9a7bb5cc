"""Ledger schedules with a ``grace``: a report after its occurrence, within the grace, meets that
occurrence late (a ``schedule.late`` event and a violation that says by how much) instead of
counting for the next one and leaving this one missed; past the grace it is the next one's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.ledger_packs import STAFF_PACK

import svcrules
from svcrules import Engine, PackError
from svcrules.effects.schedule import parse_grace

SH = dt.timezone(dt.timedelta(hours=8))


def ev(i: str, etype: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"id": i, "type": etype, "at": f"{when}+08:00", **fields}


def report(i: str, when: str, subject: str = "wang") -> dict[str, Any]:
    return ev(i, "report.weekly_submitted", when, subject=subject)


def pack(grace: Any = None, **params: Any) -> dict[str, Any]:
    rule = STAFF_PACK["rules"][-2]
    schedule = {**rule["schedule"]}
    if grace is not None:
        schedule["grace"] = grace
    return {
        **STAFF_PACK,
        "params": {**STAFF_PACK["params"], **params},
        "rules": [
            {**rule, "schedule": schedule},
            STAFF_PACK["rules"][-1],
            {
                "id": "report-late",
                "on": "schedule.late",
                "when": "late_by_minutes > 10",
                "cite": {"doc": "t", "line": 2},
                "escalate": {"to": "channel_engineer", "level": 1},
            },
        ],
    }


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{text}+08:00")


def run(spec: dict[str, Any], events: list[dict[str, Any]], now: str) -> list[Any]:
    """Apply the events to a fresh ledger, advance to `now`, and list every schedule violation
    still in force as (kind, occurrence, observed)."""
    ledger = Engine(spec).ledger()
    reported: dict[tuple[Any, ...], Any] = {}
    decisions = [*ledger.apply_many(events), ledger.advance(f"{now}+08:00")]
    for d in decisions:
        assert isinstance(d, svcrules.Decision), d
        for r in d.retracted:
            if isinstance(r, svcrules.Violation):
                reported.pop((r.event_id, r.limit), None)
        for v in d.violations:
            reported[(v.event_id, v.limit)] = v
    return sorted(
        (("late" if " late" in v.message else "missed"), v.limit, v.observed)
        for v in reported.values()
    )


SEEN = ev("s", "staff.seen", "2024-06-05T09:00:00", subject="wang")  # a Wednesday


def test_without_a_grace_a_late_report_counts_for_the_next_week() -> None:
    got = run(pack(), [SEEN, report("w1", "2024-06-10T13:20:00")], "2024-06-18T00:00:00")
    assert got == [("missed", at("2024-06-10T13:00:00"), None)]


def test_with_a_grace_a_late_report_is_late_not_missing_and_the_next_week_is_owed() -> None:
    got = run(pack("P1D"), [SEEN, report("w1", "2024-06-10T13:20:00")], "2024-06-18T00:00:00")
    assert got == [
        ("late", at("2024-06-10T13:00:00"), dt.timedelta(minutes=20)),
        ("missed", at("2024-06-17T13:00:00"), None),
    ]


def test_missed_at_the_occurrence_then_turned_late_by_the_report() -> None:
    ledger = Engine(pack("P1D")).ledger()
    ledger.apply(SEEN)
    missed = ledger.advance("2024-06-10T13:05:00+08:00")
    assert [v.limit for v in missed.violations] == [at("2024-06-10T13:00:00")]
    assert [e.to for e in missed.escalations] == ["supervisor"]
    late = ledger.apply(report("w1", "2024-06-10T13:20:00"))
    (v,) = late.violations
    assert (v.limit, v.observed) == (at("2024-06-10T13:00:00"), dt.timedelta(minutes=20))
    assert [e.to for e in late.escalations] == ["channel_engineer"]  # late_by_minutes 20 > 10
    assert sorted(type(x).__name__ for x in late.retracted) == ["Escalation", "Violation"]
    assert not ledger.advance("2024-06-11T20:00:00+08:00")  # nothing more for that Monday


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2024-06-10T13:00:00", []),
        ("2024-06-10T13:00:01", [("late", at("2024-06-10T13:00:00"), dt.timedelta(seconds=1))]),
    ],
)
def test_thirteen_hundred_is_on_time_and_one_second_later_is_late(
    when: str, expected: list[Any]
) -> None:
    got = run(pack(30), [SEEN, report("w1", when)], "2024-06-17T12:00:00")
    assert got == expected


def test_a_late_event_does_not_trip_the_escalation_below_its_threshold() -> None:
    ledger = Engine(pack(30)).ledger()
    ledger.apply(SEEN)
    d = ledger.apply(report("w1", "2024-06-10T13:05:00"))
    assert [v.observed for v in d.violations] == [dt.timedelta(minutes=5)]
    assert not d.escalations


def test_past_the_grace_the_report_is_the_next_weeks_and_this_week_stays_missed() -> None:
    got = run(pack(30), [SEEN, report("w1", "2024-06-10T13:30:01")], "2024-06-18T00:00:00")
    assert got == [("missed", at("2024-06-10T13:00:00"), None)]


def test_a_grace_longer_than_the_week_stops_at_the_next_occurrence() -> None:
    events = [SEEN, report("w1", "2024-06-17T13:00:00")]  # exactly the next Monday's time
    got = run(pack("P10D"), events, "2024-06-18T00:00:00")
    assert got == [("missed", at("2024-06-10T13:00:00"), None)]
    events = [SEEN, report("w1", "2024-06-17T12:59:59")]
    got = run(pack("P10D"), events, "2024-06-18T00:00:00")
    assert got == [
        ("late", at("2024-06-10T13:00:00"), dt.timedelta(days=7, seconds=-1)),
        ("missed", at("2024-06-17T13:00:00"), None),
    ]


def test_one_late_report_meets_one_week_and_a_second_one_the_next() -> None:
    events = [SEEN, report("w1", "2024-06-10T14:00:00"), report("w2", "2024-06-10T15:00:00")]
    got = run(pack("P1D"), events, "2024-06-18T00:00:00")
    assert got == [("late", at("2024-06-10T13:00:00"), dt.timedelta(hours=1))]


def test_the_outcome_does_not_depend_on_arrival_order() -> None:
    events = [
        SEEN,
        report("w1", "2024-06-10T13:20:00"),
        report("w2", "2024-06-24T09:00:00"),
        report("w3", "2024-06-18T10:00:00"),
    ]
    forward = run(pack("P1D"), events, "2024-07-02T00:00:00")
    backward = run(pack("P1D"), events[::-1], "2024-07-02T00:00:00")
    assert (
        forward
        == backward
        == [
            ("late", at("2024-06-10T13:00:00"), dt.timedelta(minutes=20)),
            ("late", at("2024-06-17T13:00:00"), dt.timedelta(hours=21)),
            ("missed", at("2024-07-01T13:00:00"), None),
        ]
    )


def test_the_grace_may_be_a_param_and_an_override_changes_it() -> None:
    spec = pack("params.report_grace", report_grace="PT10M")
    events = [SEEN, report("w1", "2024-06-10T13:20:00")]
    assert run(spec, events, "2024-06-11T00:00:00") == [("missed", at("2024-06-10T13:00:00"), None)]
    ledger = Engine(spec, params={"report_grace": "PT30M"}).ledger()  # same type as the default
    (_, d2) = ledger.apply_many(events)
    assert isinstance(d2, svcrules.Decision)
    assert [v.observed for v in d2.violations] == [dt.timedelta(minutes=20)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (30, dt.timedelta(minutes=30)),
        ("PT30M", dt.timedelta(minutes=30)),
        ("P1D", dt.timedelta(days=1)),
        ("P1W", dt.timedelta(weeks=1)),
        ("p6dt23h", dt.timedelta(days=6, hours=23)),
        ("PT1H30M15S", dt.timedelta(hours=1, minutes=30, seconds=15)),
    ],
)
def test_grace_values(text: Any, expected: dt.timedelta) -> None:
    assert parse_grace(text) == expected


@pytest.mark.parametrize("bad", [0, -5, True, "P1M", "P1Y", "P", "PT", "P1DT", "1 day", 1.5])
def test_a_bad_grace_is_refused_at_load(bad: Any) -> None:
    with pytest.raises(ValueError, match="grace"):
        parse_grace(bad)
    spec = pack()
    spec["rules"][0]["schedule"]["grace"] = bad
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(spec)
    assert set(exc.value.codes) == {
        "schema.bad-type" if isinstance(bad, bool | float) else "schedule.grace"
    }


def test_a_grace_naming_an_undeclared_param_is_refused() -> None:
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(pack("params.nope"))
    assert set(exc.value.codes) == {"schedule.grace"}


def test_reporting_subjects_are_obligated_from_their_first_report_only() -> None:
    spec = pack("P1D")
    spec["rules"][0]["schedule"]["subjects"] = "reporting"
    events = [
        ev("s", "staff.seen", "2024-06-03T09:00:00", subject="chen"),  # never reports
        report("w1", "2024-06-05T09:00:00"),  # wang, a Wednesday
    ]
    got = run(spec, events, "2024-06-18T00:00:00")
    assert got == [("missed", at("2024-06-17T13:00:00"), None)]  # wang's 10 June: his report
    assert run(pack("P1D"), events, "2024-06-18T00:00:00") == [
        ("missed", at("2024-06-03T13:00:00"), None),  # chen, known from his first event
        ("missed", at("2024-06-10T13:00:00"), None),
        ("missed", at("2024-06-17T13:00:00"), None),
        ("missed", at("2024-06-17T13:00:00"), None),
    ]
