"""Ledger scorecards, counters and schedules: what a user relies on — scores per local period
with floor, cap and thresholds firing the ladder in order; runs, periods and windows of
counters; weekly obligations reported once when missed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.ledger_packs import STAFF_PACK

import svcrules
from svcrules import Engine, PackError


def ev(i: str, etype: str, when: str, **fields: Any) -> dict[str, Any]:
    at = when if when.endswith(("Z", "+08:00", "+00:00")) else f"{when}+08:00"
    return {"id": i, "type": etype, "at": at, **fields}


@pytest.fixture(scope="module")
def staff() -> Engine:
    return Engine(STAFF_PACK)


def violation(i: str, when: str, points: int, subject: str = "zhang") -> dict[str, Any]:
    return ev(i, "staff.violation", when, subject=subject, points=points)


def test_two_march_deductions_cross_both_thresholds_in_order_and_april_starts_over(
    staff: Engine,
) -> None:
    ledger = staff.ledger()
    first = ledger.apply(violation("v1", "2024-03-05T10:00:00", 20))
    assert [(d.score, d.period) for d in first.deductions] == [(80, "2024-03")]
    assert not first.escalations
    second = ledger.apply(violation("v2", "2024-03-12T10:00:00", 30))
    assert [d.score for d in second.deductions] == [50]
    assert [(e.rule, e.to, e.level) for e in second.escalations] == [
        ("warn", "information_officer", 1),
        ("replace", "vendor_gm", 2),
    ]
    assert second.escalations[0].subject == "zhang"
    assert ledger.score("zhang", "monthly") == 50
    april = ledger.apply(violation("v3", "2024-04-02T10:00:00", 10))
    assert [(d.score, d.period) for d in april.deductions] == [(90, "2024-04")]
    assert ledger.score("zhang", "monthly", at="2024-03-31T12:00:00+08:00") == 50
    assert ledger.score("zhang", "monthly", at="2024-03-06T00:00:00+08:00") == 80
    assert ledger.score("zhang", "monthly") == 90
    assert ledger.score("li", "monthly") == 100


def test_a_late_deduction_rescores_the_period_and_moves_the_crossing(staff: Engine) -> None:
    ledger = staff.ledger()
    ledger.apply(violation("v1", "2024-03-05T10:00:00", 20))
    ledger.apply(violation("v2", "2024-03-20T10:00:00", 15))  # 65: warning crossed here
    late = ledger.apply(violation("v0", "2024-03-01T10:00:00", 15))  # now 85, 65, 50
    assert sorted(d.score or 0 for d in late.deductions) == [50, 65, 85]
    # the warning still holds but moved to v1's time (its `at`); the replacement is new
    assert [(e.rule, e.at) for e in late.escalations] == [
        ("warn", dt.datetime.fromisoformat("2024-03-05T10:00:00+08:00")),
        ("replace", dt.datetime.fromisoformat("2024-03-20T10:00:00+08:00")),
    ]
    assert [e.at for e in late.retracted if isinstance(e, svcrules.Escalation)] == [
        dt.datetime.fromisoformat("2024-03-20T10:00:00+08:00")
    ]
    assert sorted(d.score or 0 for d in late.retracted if isinstance(d, svcrules.Deduction)) == [
        65,
        80,
    ]


def test_floor_and_cap_bound_what_one_period_takes(staff: Engine) -> None:
    ledger = staff.ledger()
    scores = [
        ledger.apply(
            ev(f"c{i}", "staff.capped", f"2024-03-0{i + 1}T10:00:00", subject="wu", points=p)
        )
        .deductions[0]
        .score
        for i, p in enumerate([30, 30, 30])
    ]
    assert scores == [70, 50, 50]  # the cap of 50 points: the third takes nothing
    floor = staff.ledger()
    (d,) = floor.apply(
        ev("f", "staff.capped", "2024-03-01T10:00:00", subject="wu", points=80)
    ).deductions
    assert (d.points, d.score) == (80, 50)  # cap first (50), floor 40 not reached
    floor.apply(ev("g", "staff.capped", "2024-04-01T10:00:00", subject="wu", points=45))
    assert floor.score("wu", "capped", at="2024-04-30T00:00:00+08:00") == 55


def test_the_month_turns_at_local_midnight_even_for_an_event_given_in_utc(
    staff: Engine,
) -> None:
    ledger = staff.ledger()
    ledger.apply(violation("m", "2024-03-15T10:00:00", 20))
    (d,) = ledger.apply(violation("u", "2024-03-31T16:30:00Z", 10)).deductions
    assert (d.period, d.score) == ("2024-04", 90)  # 00:30 on 1 April in Shanghai


def test_a_three_year_cycle_keeps_points_across_years(staff: Engine) -> None:
    ledger = staff.ledger()
    ledger.apply(ev("a", "staff.cycle", "2024-02-01T10:00:00", subject="liu", points=3))
    (d,) = ledger.apply(
        ev("b", "staff.cycle", "2026-12-31T10:00:00", subject="liu", points=4)
    ).deductions
    assert (d.period, d.score) == ("2024..2026", 5)
    (e,) = ledger.apply(
        ev("c", "staff.cycle", "2027-01-01T10:00:00", subject="liu", points=1)
    ).deductions
    assert (e.period, e.score) == ("2027..2029", 11)


def test_score_needs_a_known_scorecard(staff: Engine) -> None:
    with pytest.raises(PackError) as exc:
        staff.ledger().score("zhang")  # three scorecards: which one?
    assert exc.value.codes == ("scorecard.unknown",)


# --- counters ---------------------------------------------------------------------------------


def refusals(ledger: Any, kinds: list[str]) -> list[svcrules.Decision]:
    return [
        ledger.apply(ev(f"r{i}", f"replacement.{k}", f"2024-03-0{i + 1}T10:00:00", subject="zhang"))
        for i, k in enumerate(kinds)
    ]


def test_the_third_consecutive_refusal_escalates(staff: Engine) -> None:
    decisions = refusals(staff.ledger(), ["refused", "refused", "refused"])
    assert [[e.to for e in d.escalations] for d in decisions] == [
        [],
        [],
        ["head_of_information_office"],
    ]


def test_an_acceptance_between_refusals_resets_the_run(staff: Engine) -> None:
    decisions = refusals(staff.ledger(), ["refused", "refused", "accepted", "refused"])
    assert not any(d.escalations for d in decisions)


def test_a_late_acceptance_withdraws_the_escalation(staff: Engine) -> None:
    ledger = staff.ledger()
    refusals(ledger, ["refused", "refused", "refused"])
    late = ledger.apply(ev("ok", "replacement.accepted", "2024-03-02T12:00:00", subject="zhang"))
    assert [type(x).__name__ for x in late.retracted] == ["Escalation"]


def test_a_period_counter_counts_per_calendar_year_by_its_key(staff: Engine) -> None:
    ledger = staff.ledger()
    fired = [
        bool(ledger.apply(ev(f"o{i}", "outage.planned", when, case="C1")).escalations)
        for i, when in enumerate(
            [
                "2024-02-01T08:00:00",
                "2024-05-01T08:00:00",
                "2024-08-01T08:00:00",
                "2025-01-10T08:00:00",
                "2024-11-01T08:00:00",
            ]
        )
    ]
    assert fired == [False, False, False, False, True]  # the fourth of 2024; 2025 is apart
    other = ledger.apply(ev("x", "outage.planned", "2024-12-01T08:00:00", case="C2"))
    assert not other.escalations


def test_a_sliding_window_counts_the_last_thirty_days(staff: Engine) -> None:
    ledger = staff.ledger()
    days = ["2024-03-01", "2024-03-20", "2024-04-05", "2024-04-06"]
    fired = [
        bool(
            ledger.apply(
                ev(f"k{i}", "complaint.received", f"{d}T09:00:00", subject="desk")
            ).escalations
        )
        for i, d in enumerate(days)
    ]
    # 1 Mar and 20 Mar: two; 5 Apr: 1 Mar has left the window (two again); 6 Apr: three
    assert fired == [False, False, False, True]


# --- schedules --------------------------------------------------------------------------------


def test_a_weekly_report_missed_is_reported_once_and_met_by_a_late_report(
    staff: Engine,
) -> None:
    ledger = staff.ledger()
    ledger.apply(ev("s", "staff.seen", "2024-06-05T09:00:00", subject="wang"))  # a Wednesday
    ledger.apply(ev("w1", "report.weekly_submitted", "2024-06-10T12:59:00", subject="wang"))
    assert not ledger.advance("2024-06-10T13:30:00+08:00").violations  # met on time
    missed = ledger.advance("2024-06-17T13:00:01+08:00")
    (v,) = missed.violations
    assert (v.subject, v.limit) == ("wang", dt.datetime.fromisoformat("2024-06-17T13:00:00+08:00"))
    assert [e.to for e in missed.escalations] == ["supervisor"]
    assert not ledger.advance("2024-06-17T20:00:00+08:00")  # once, not at every advance
    late = ledger.apply(ev("w2", "report.weekly_submitted", "2024-06-17T13:00:00", subject="wang"))
    assert sorted(type(x).__name__ for x in late.retracted) == ["Escalation", "Violation"]


def test_listed_subjects_are_obligated_from_the_schedule_start() -> None:
    pack = {
        **STAFF_PACK,
        "rules": [
            {
                **STAFF_PACK["rules"][-2],
                "schedule": {
                    **STAFF_PACK["rules"][-2]["schedule"],
                    "subjects": "params.reporters",
                    "start": "2024-06-01T00:00:00",
                },
            },
        ],
    }
    ledger = Engine(pack).ledger()
    out = ledger.advance("2024-06-18T00:00:00+08:00")
    limits = [(v.subject, v.limit) for v in out.violations]
    assert all(isinstance(limit, dt.datetime) for _, limit in limits)
    assert sorted((s, getattr(limit, "day", None)) for s, limit in limits) == [
        ("lin", 3),
        ("lin", 10),
        ("lin", 17),
    ]


@pytest.mark.parametrize(
    ("rrule", "why"),
    [("FREQ=WEEKLY;BYDAY=MONDAY", "cannot use"), ("FREQ=MINUTELY", "daily")],
)
def test_a_bad_or_too_fine_recurrence_rule_is_refused_at_load(rrule: str, why: str) -> None:
    rule = {
        **STAFF_PACK["rules"][-2],
        "schedule": {**STAFF_PACK["rules"][-2]["schedule"], "rrule": rrule},
    }
    with pytest.raises(PackError) as exc:
        svcrules.load_pack({**STAFF_PACK, "rules": [rule]})
    (d,) = exc.value.diagnostics
    assert (d.code, d.path) == ("schedule.rrule", "$.rules[0].schedule.rrule")
    assert why in d.message


def test_counter_shapes_are_checked_at_load() -> None:
    bad = {
        **STAFF_PACK,
        "counters": {
            **STAFF_PACK["counters"],
            "refusals": {"limit": 2, "consecutive": True},
            "outages": {"limit": 3, "period": "year", "window": {"days": 3}, "key": "case"},
        },
    }
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(bad)
    assert set(exc.value.codes) == {"counter.consecutive", "counter.period-and-window"}


def test_score_history_gives_each_period_in_event_time_even_after_a_late_event(
    staff: Engine,
) -> None:
    ledger = staff.ledger()
    ledger.apply(violation("v2", "2024-03-12T10:00:00", 30))
    ledger.apply(violation("v3", "2024-04-02T10:00:00", 10))
    ledger.apply(violation("v1", "2024-03-05T10:00:00", 20))  # late: re-folds March
    ledger.apply(violation("w1", "2024-03-07T10:00:00", 5, subject="li"))
    history = ledger.score_history("monthly")
    got = [(h.subject, h.period, h.base, [s for _, s in h.points]) for h in history]
    assert got == [
        ("li", "2024-03", 100, [95]),
        ("zhang", "2024-03", 100, [80, 50]),
        ("zhang", "2024-04", 100, [90]),
    ]
    march = history[1]
    assert [t.isoformat() for t, _ in march.points] == [
        "2024-03-05T02:00:00+00:00",
        "2024-03-12T02:00:00+00:00",
    ]
    assert march.to_dict()["points"] == [
        ["2024-03-05T02:00:00+00:00", 80],
        ["2024-03-12T02:00:00+00:00", 50],
    ]
    assert ledger.score_history("no-such-card") == ()
