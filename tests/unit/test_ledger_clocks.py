"""Ledger clocks: what a user of SLA clocks relies on — met/breached at the exact edges, pauses
in the clock's own unit, `starts: all`, warnings, excuses, extensions, and late events that
withdraw what was reported."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import svcrules
from svcrules import Engine, EventError, PackError

CST = "+08:00"


def at(text: str) -> str:
    return f"{text}{CST}"


def ev(i: str, etype: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"id": i, "type": etype, "at": at(when), **fields}


# --- power-grid, end to end ---------------------------------------------------------------


@pytest.fixture(scope="module")
def grid() -> Engine:
    return Engine("power-grid")


def fault(when: str = "2024-06-03T10:00:00") -> dict[str, Any]:
    return ev("f1", "fault.reported", when, case="F1", area="urban")


def dispatched(ledger: svcrules.Ledger) -> None:
    """The crew is dispatched at 10:03, within the 5-minute dispatch clock, so only the arrival
    clock is in question."""
    ledger.apply(ev("d1", "crew.dispatched", "2024-06-03T10:03:00", case="F1"))


def test_crew_one_minute_late_is_breached_by_one_minute(grid: Engine) -> None:
    ledger = grid.ledger()
    started = ledger.apply(fault())
    assert [(d.clock, d.status, d.due) for d in started.deadlines] == [
        ("dispatch", "open", dt.datetime.fromisoformat(at("2024-06-03T10:05:00"))),
        ("arrival", "open", dt.datetime.fromisoformat(at("2024-06-03T10:45:00"))),
    ]
    dispatched(ledger)
    d = ledger.apply(ev("c1", "crew.arrived", "2024-06-03T10:46:00", case="F1"))
    (dl,) = d.deadlines
    assert (dl.status, dl.late_by, dl.clock, dl.case) == (
        "breached",
        dt.timedelta(minutes=1),
        "arrival",
        "F1",
    )
    assert [s.action for s in d.signals] == ["stop"]


def test_crew_at_the_due_minute_is_met(grid: Engine) -> None:
    ledger = grid.ledger()
    ledger.apply(fault())
    dispatched(ledger)
    (dl,) = ledger.apply(ev("c1", "crew.arrived", "2024-06-03T10:45:00", case="F1")).deadlines
    assert (dl.status, dl.late_by) == ("met", None)


def test_advance_reports_the_breach_and_a_late_arrival_retracts_it(grid: Engine) -> None:
    ledger = grid.ledger()
    ledger.apply(fault())
    dispatched(ledger)
    breach = ledger.advance(at("2024-06-03T10:50:00"))
    (reported,) = breach.deadlines
    assert reported.status == "breached" and reported.late_by is None
    assert ledger.deadlines(status="breached")[0].late_by == dt.timedelta(minutes=5)
    assert not ledger.advance(at("2024-06-03T11:05:00"))  # reported once, not again
    late = ledger.apply(ev("c1", "crew.arrived", "2024-06-03T10:40:00", case="F1"))
    # the breach goes, and with it the escalation of power-grid's ladder that hung on it
    assert late.retracted == (reported, *breach.escalations)
    assert [x.rule for x in breach.escalations] == ["arrival.breached.team-lead"]
    assert [d.status for d in late.deadlines] == ["met"]
    assert [(d.clock, d.status) for d in ledger.deadlines()] == [
        ("dispatch", "met"),
        ("arrival", "met"),
    ]


def test_energize_starts_at_the_later_of_acceptance_and_contract_in_any_order(
    grid: Engine,
) -> None:
    acceptance = ev(
        "a1", "acceptance.passed", "2024-05-20T10:00:00", case="E1", customer_class="lv_power"
    )
    contract = ev(
        "k1", "contract.signed", "2024-05-22T10:00:00", case="E1", customer_class="lv_power"
    )
    for order in ([acceptance, contract], [contract, acceptance]):
        ledger = grid.ledger()
        first = ledger.apply(order[0])
        assert not first.deadlines and ledger.deadlines() == ()
        second = ledger.apply(order[1])
        (dl,) = second.deadlines
        assert dl.start == dt.datetime.fromisoformat(contract["at"])
        assert dl.due_date == dt.date(2024, 5, 29)  # 5 CN working days after Wed 22 May


# --- a small clock pack ---------------------------------------------------------------------

CLOCK_PACK: dict[str, Any] = {
    "pack": "clocks-test",
    "version": "1",
    "title": "clock semantics",
    "timezone": "Asia/Shanghai",
    "events": {
        "job.opened": {"fields": {"case": {"type": "string", "required": True}}},
        "job.done": {},
        "job.paused": {},
        "job.resumed": {},
        "job.cancelled": {},
        "job.excused": {},
        "job.extended": {"fields": {"new_due": {"type": "datetime", "required": True}}},
        "reply.asked": {},
        "reply.given": {},
        "work.ordered": {},
        "work.held": {},
        "work.released": {},
        "work.done": {},
        "a.passed": {},
        "b.signed": {},
        "both.done": {},
    },
    "rules": [
        {
            "id": "repair",
            "on": "job.opened",
            "cite": {"doc": "t", "line": 1},
            "deadline": {
                "clock": "repair",
                "within": 60,
                "unit": "minutes",
                "warn_at": [0.5, 0.8, 1.5],
            },
        },
        {
            "id": "repair.stop",
            "on": "job.done",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "stop"},
        },
        {
            "id": "repair.pause",
            "on": "job.paused",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "pause"},
        },
        {
            "id": "repair.resume",
            "on": "job.resumed",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "resume"},
        },
        {
            "id": "repair.cancel",
            "on": "job.cancelled",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "cancel"},
        },
        {
            "id": "repair.excuse",
            "on": "job.excused",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "excuse"},
        },
        {
            "id": "repair.extend",
            "on": "job.extended",
            "cite": {"doc": "t", "line": 1},
            "deadline": {"clock": "repair", "action": "extend", "until": "new_due"},
        },
        {
            "id": "ladder.1",
            "on": "deadline.breached",
            "when": "clock == 'repair'",
            "cite": {"doc": "t", "line": 2},
            "escalate": {"to": "team_lead", "level": 1},
        },
        {
            "id": "ladder.2",
            "on": "deadline.warned",
            "when": "fraction >= 1.5",
            "cite": {"doc": "t", "line": 2},
            "escalate": {"to": "manager", "level": 2},
        },
        {
            "id": "watch",
            "on": "deadline.warned",
            "when": "fraction < 1",
            "cite": {"doc": "t", "line": 2},
            "escalate": {"to": "dispatcher", "level": 1},
        },
        {
            "id": "reply",
            "on": "reply.asked",
            "cite": {"doc": "t", "line": 3},
            "deadline": {"clock": "reply", "within": 2, "unit": "days"},
        },
        {
            "id": "reply.stop",
            "on": "reply.given",
            "cite": {"doc": "t", "line": 3},
            "deadline": {"clock": "reply", "action": "stop"},
        },
        {
            "id": "work",
            "on": "work.ordered",
            "cite": {"doc": "t", "line": 4},
            "deadline": {"clock": "work", "within": 3, "unit": "workdays", "calendar": "CN"},
        },
        {
            "id": "work.hold",
            "on": "work.held",
            "cite": {"doc": "t", "line": 4},
            "deadline": {"clock": "work", "action": "pause"},
        },
        {
            "id": "work.release",
            "on": "work.released",
            "cite": {"doc": "t", "line": 4},
            "deadline": {"clock": "work", "action": "resume"},
        },
        {
            "id": "work.stop",
            "on": "work.done",
            "cite": {"doc": "t", "line": 4},
            "deadline": {"clock": "work", "action": "stop"},
        },
        {
            "id": "both",
            "on": ["a.passed", "b.signed"],
            "cite": {"doc": "t", "line": 5},
            "deadline": {"clock": "both", "within": 2, "unit": "hours", "starts": "all"},
        },
        {
            "id": "both.stop",
            "on": "both.done",
            "cite": {"doc": "t", "line": 5},
            "deadline": {"clock": "both", "action": "stop"},
        },
    ],
}


@pytest.fixture(scope="module")
def clocks() -> Engine:
    return Engine(CLOCK_PACK)


def opened(ledger: Any, when: str = "2024-06-03T10:00:00", case: str = "J1") -> None:
    ledger.apply(ev(f"o-{case}", "job.opened", when, case=case))


def status_of(ledger: Any, clock: str = "repair") -> tuple[str, dt.timedelta | None]:
    (dl,) = [d for d in ledger.deadlines() if d.clock == clock]
    return dl.status, dl.late_by


def test_a_stop_exactly_at_due_is_met_and_one_second_later_breached_by_one_second(
    clocks: Engine,
) -> None:
    on_time = clocks.ledger()
    opened(on_time)
    on_time.apply(ev("d", "job.done", "2024-06-03T11:00:00", case="J1"))
    assert status_of(on_time) == ("met", None)
    late = clocks.ledger()
    opened(late)
    late.apply(ev("d", "job.done", "2024-06-03T11:00:01", case="J1"))
    assert status_of(late) == ("breached", dt.timedelta(seconds=1))


def test_advance_to_the_due_instant_is_not_a_breach_a_microsecond_later_is(
    clocks: Engine,
) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    assert not ledger.advance(at("2024-06-03T11:00:00")).deadlines
    assert [d.status for d in ledger.advance(at("2024-06-03T11:00:00.000001")).deadlines] == [
        "breached"
    ]


def test_a_day_clock_is_met_by_anything_on_its_due_date(clocks: Engine) -> None:
    ledger = clocks.ledger()
    ledger.apply(ev("r", "reply.asked", "2024-06-03T09:00:00", case="R1"))
    ledger.apply(ev("g", "reply.given", "2024-06-05T23:59:59.500000", case="R1"))
    assert status_of(ledger, "reply") == ("met", None)
    late = clocks.ledger()
    late.apply(ev("r", "reply.asked", "2024-06-03T09:00:00", case="R1"))
    assert not late.advance(at("2024-06-05T23:59:59.900000")).deadlines
    late.apply(ev("g", "reply.given", "2024-06-06T00:00:01", case="R1"))
    assert status_of(late, "reply") == ("breached", dt.timedelta(seconds=1))


def test_a_workday_clock_paused_over_a_weekend_does_not_move(clocks: Engine) -> None:
    ledger = clocks.ledger()
    ledger.apply(ev("w", "work.ordered", "2024-05-22T10:00:00", case="W1"))  # Wednesday
    (due_before,) = ledger.deadlines()
    assert due_before.due_date == dt.date(2024, 5, 27)
    ledger.apply(ev("h", "work.held", "2024-05-24T17:00:00", case="W1"))  # Friday
    assert status_of(ledger, "work")[0] == "paused"
    ledger.apply(ev("r", "work.released", "2024-05-27T09:00:00", case="W1"))  # Monday
    (after,) = ledger.deadlines()
    assert (after.status, after.due_date) == ("open", dt.date(2024, 5, 27))
    assert any("0 working day(s)" in note for note in after.explain.notes)


def test_a_workday_clock_paused_over_a_working_day_moves_by_one(clocks: Engine) -> None:
    ledger = clocks.ledger()
    ledger.apply(ev("w", "work.ordered", "2024-05-22T10:00:00", case="W1"))
    ledger.apply(ev("h", "work.held", "2024-05-22T11:00:00", case="W1"))  # Wed
    ledger.apply(ev("r", "work.released", "2024-05-24T09:00:00", case="W1"))  # Fri
    (after,) = ledger.deadlines()
    assert after.due_date == dt.date(2024, 5, 28)  # Thursday was paused: Monday -> Tuesday


def test_a_minute_clock_moves_by_the_paused_time(clocks: Engine) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    ledger.apply(ev("p", "job.paused", "2024-06-03T10:10:00", case="J1"))
    ledger.apply(ev("r", "job.resumed", "2024-06-03T10:40:00", case="J1"))
    ledger.apply(ev("d", "job.done", "2024-06-03T11:25:00", case="J1"))
    (dl,) = ledger.deadlines()
    assert (dl.status, dl.due) == ("met", dt.datetime.fromisoformat(at("2024-06-03T11:30:00")))


def test_starts_all_waits_for_both_and_counts_from_the_later(clocks: Engine) -> None:
    ledger = clocks.ledger()
    assert not ledger.apply(ev("b", "b.signed", "2024-06-03T12:00:00", case="S1")).deadlines
    (dl,) = ledger.apply(ev("a", "a.passed", "2024-06-03T09:00:00", case="S1")).deadlines
    assert dl.due == dt.datetime.fromisoformat(at("2024-06-03T14:00:00"))


def net_escalations(*decisions: svcrules.Decision) -> list[tuple[str, int]]:
    """Escalations reported minus those retracted, over a run of decisions."""
    held: list[Any] = []
    for d in decisions:
        held.extend(d.escalations)
        for x in d.retracted:
            if x in held:
                held.remove(x)
    return sorted((e.rule, e.level) for e in held)


def test_warnings_at_half_four_fifths_and_one_and_a_half_then_the_ladder(
    clocks: Engine,
) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    assert not ledger.advance(at("2024-06-03T10:29:59")).escalations
    half = ledger.advance(at("2024-06-03T10:30:00"))
    assert [e.rule for e in half.escalations] == ["watch"]
    four_fifths = ledger.advance(at("2024-06-03T10:48:00"))
    assert [e.rule for e in four_fifths.escalations] == ["watch"]
    breach = ledger.advance(at("2024-06-03T11:05:00"))
    assert [(e.to, e.level) for e in breach.escalations] == [("team_lead", 1)]
    assert breach.escalations[0].case == "J1"
    still = ledger.advance(at("2024-06-03T11:30:00"))
    assert [(e.to, e.level) for e in still.escalations] == [("manager", 2)]
    late_stop = ledger.apply(ev("d", "job.done", "2024-06-03T10:50:00", case="J1"))
    withdrawn = sorted((type(x).__name__, getattr(x, "level", None)) for x in late_stop.retracted)
    assert withdrawn == [("Deadline", None), ("Escalation", 1), ("Escalation", 2)]
    assert net_escalations(half, four_fifths, breach, still, late_stop) == [
        ("watch", 1),
        ("watch", 1),
    ]


def test_a_stop_after_a_warning_still_reports_the_warning_passed_on_the_way(
    clocks: Engine,
) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    d = ledger.apply(ev("d", "job.done", "2024-06-03T10:40:00", case="J1"))
    assert [e.rule for e in d.escalations] == ["watch"]  # 0.5 passed at 10:30; 0.8 not yet


def test_an_excuse_turns_a_breach_into_excused_and_withdraws_the_escalation(
    clocks: Engine,
) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    ledger.advance(at("2024-06-03T11:10:00"))
    d = ledger.apply(ev("x", "job.excused", "2024-06-03T11:20:00", case="J1"))
    assert [dl.status for dl in d.deadlines] == ["excused"]
    assert sorted(type(x).__name__ for x in d.retracted) == ["Deadline", "Escalation"]
    met = clocks.ledger()
    opened(met)
    met.apply(ev("x", "job.excused", "2024-06-03T10:05:00", case="J1"))
    met.apply(ev("d", "job.done", "2024-06-03T10:55:00", case="J1"))
    assert status_of(met) == ("met", None)  # nothing to excuse


def test_an_extension_before_due_moves_it_and_one_after_is_ignored_and_says_so(
    clocks: Engine,
) -> None:
    before = clocks.ledger()
    opened(before)
    before.apply(
        ev("e", "job.extended", "2024-06-03T10:30:00", case="J1", new_due=at("2024-06-03T12:00:00"))
    )
    before.apply(ev("d", "job.done", "2024-06-03T11:30:00", case="J1"))
    assert status_of(before) == ("met", None)
    after = clocks.ledger()
    opened(after)
    after.apply(
        ev("e", "job.extended", "2024-06-03T11:10:00", case="J1", new_due=at("2024-06-03T12:00:00"))
    )
    after.apply(ev("d", "job.done", "2024-06-03T11:30:00", case="J1"))
    (dl,) = after.deadlines()
    assert (dl.status, dl.late_by) == ("breached", dt.timedelta(minutes=30))
    assert any("ignored" in note and "after the due" in note for note in dl.explain.notes)


def test_cancel_ends_an_open_clock_as_cancelled_and_no_breach_follows(clocks: Engine) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    ledger.apply(ev("c", "job.cancelled", "2024-06-03T10:20:00", case="J1"))
    assert not ledger.advance(at("2024-06-04T00:00:00"))
    assert status_of(ledger) == ("cancelled", None)


def test_the_same_event_twice_is_a_no_op_and_other_content_is_an_error(clocks: Engine) -> None:
    ledger = clocks.ledger()
    first = ledger.apply(ev("o", "job.opened", "2024-06-03T10:00:00", case="J1"))
    assert first
    same_instant_in_utc = {
        **ev("o", "job.opened", "x", case="J1"),
        "at": "2024-06-03T02:00:00+00:00",
    }
    again = ledger.apply(same_instant_in_utc)
    assert not again and again.event_id == "o"
    with pytest.raises(EventError) as exc:
        ledger.apply(ev("o", "job.opened", "2024-06-03T10:01:00", case="J1"))
    assert exc.value.codes == ("event.conflicting-duplicate",)
    assert len(ledger.deadlines()) == 1


def test_advance_backwards_is_a_no_op_that_says_so(clocks: Engine) -> None:
    ledger = clocks.ledger()
    opened(ledger)
    ledger.advance(at("2024-06-03T12:00:00"))
    back = ledger.advance(at("2024-06-03T11:00:00"))
    assert not back and "ignored" in back.warnings[0]
    assert ledger.watermark == dt.datetime.fromisoformat(at("2024-06-03T12:00:00"))


def test_derived_types_are_refused_by_apply_but_rules_can_be_tried_statelessly(
    clocks: Engine,
) -> None:
    derived = ev("x", "deadline.breached", "2024-06-03T11:00:00", case="J1", clock="repair")
    with pytest.raises(EventError) as exc:
        clocks.ledger().apply(derived)
    assert exc.value.codes == ("event.derived-type",)
    assert [e.to for e in clocks.evaluate(derived).escalations] == ["team_lead"]


def test_apply_many_goes_on_past_a_bad_event(clocks: Engine) -> None:
    ledger = clocks.ledger()
    out = list(
        ledger.apply_many(
            [
                ev("o", "job.opened", "2024-06-03T10:00:00", case="J1"),
                {"id": "bad", "type": "job.opened", "at": "2024-06-03T10:00:00"},
                ev("d", "job.done", "2024-06-03T10:10:00", case="J1"),
            ]
        )
    )
    assert [bool(x) for x in out] == [True, False, True]
    assert isinstance(out[1], svcrules.Rejection) and out[1].index == 1


@pytest.mark.parametrize(
    ("rule", "on", "effect"),
    [
        ("loop", "score.crossed", {"deduct": {"scorecard": "m", "points": 1}}),
        ("loop", "deadline.breached", {"deadline": {"clock": "x", "within": 1, "unit": "hours"}}),
    ],
)
def test_a_pack_whose_derived_events_loop_does_not_load(
    rule: str, on: str, effect: dict[str, Any]
) -> None:
    pack = {
        "pack": "loop",
        "version": "1",
        "title": "t",
        "scorecards": {"m": {}},
        "rules": [{"id": rule, "on": on, "cite": {"doc": "t", "line": 1}, **effect}],
    }
    with pytest.raises(PackError) as exc:
        svcrules.load_pack(pack)
    (d,) = exc.value.diagnostics
    assert (d.code, d.path, d.rule) == ("rule.derived-cycle", "$.rules[0].on", "loop")
    assert f"{on} -> {on}" in d.message
