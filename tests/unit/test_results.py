"""Results are values: immutable, equal by content, picklable, and each names its key."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from tests.conftest import MINI_PACK, event

import svcrules
from svcrules import Decision, EventError, Rejection

BUSINESS_PACK = MINI_PACK.replace(
    "  cn: {base: CN}",
    "  cn: {base: CN}\n  office: {base: CN, hours: '09:00-12:00,13:00-17:00'}",
).replace(
    "    deadline: {clock: complaint_reply, within: params.reply_days, unit: days}",
    "    deadline: {clock: complaint_reply, within: 12, unit: business_hours, calendar: office}",
)


def _engine(text: str = MINI_PACK) -> svcrules.Engine:
    import yaml

    return svcrules.Engine(yaml.safe_load(text.replace("\non:", '\n"on":')))


def _decisions() -> list[Decision]:
    """One decision of every outcome kind, working-day and business-hour deadlines included."""
    mini, office = _engine(), _engine(BUSINESS_PACK)
    return [
        mini.evaluate(event("application.accepted", at="2024-09-27T10:00:00+08:00", case="A")),
        mini.evaluate(event("fault.reported", case="F", area="urban")),
        office.evaluate(event("complaint.received", at="2024-09-30T16:00:00+08:00", case="C")),
        mini.evaluate(event("voltage.measured", nominal_v=220, v="240")),
        mini.evaluate(event("staff.violation", subject="S1", code="minor")),
        mini.evaluate(event("staff.violation", subject="S1", code="major")),
        mini.evaluate(event("crew.arrived", case="F")),
    ]


def _rejection() -> Rejection:
    (item,) = _engine().evaluate_many([{"id": "x", "type": "nope", "at": "2024-01-01T00:00Z"}])
    assert isinstance(item, Rejection)
    return item


def test_every_result_type_round_trips_through_pickle_and_deepcopy() -> None:
    decisions = _decisions()
    items: list[Any] = [*decisions, _rejection()]
    for d in decisions:
        items.extend(d.outcomes)
        items.extend(dl.explain for dl in d.deadlines)
        items.extend(o.cite for o in d.outcomes if o.cite is not None)
    kinds = {type(i).__name__ for i in items}
    assert kinds >= {
        "Decision",
        "Deadline",
        "Deduction",
        "Escalation",
        "Violation",
        "ClockSignal",
        "Explanation",
        "Cite",
        "Rejection",
    }
    for item in items:
        assert pickle.loads(pickle.dumps(item)) == item, type(item).__name__
        assert copy.deepcopy(item) == item, type(item).__name__


def test_a_working_day_explanation_survives_pickling_as_plain_data() -> None:
    (dl,) = _decisions()[0].deadlines
    back = pickle.loads(pickle.dumps(dl))
    assert back.due_date.isoformat() == "2024-10-08"
    assert back.explain.calendar == "cn"
    assert back.explain.to_dict() == dl.explain.to_dict()
    assert "2024-09-29" in back.explain.to_dict()["makeup_workdays"]
    assert back.explain.steps["holidays_skipped"][0][0].isoformat() == "2024-10-01"


def _evaluate_in_child(evt: dict[str, Any]) -> Decision:
    return _engine().evaluate(evt)


def test_a_decision_made_in_another_process_comes_back_equal() -> None:
    evt = event("application.accepted", at="2024-09-27T10:00:00+08:00", case="A")
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(_evaluate_in_child, evt).result(timeout=60)
    assert remote == _engine().evaluate(evt)


def test_decision_equality_is_by_value_never_as_a_tuple() -> None:
    empty = Decision(event_id=None)
    as_tuple: object = (None, (), (), (), (), (), (), ())
    assert empty != as_tuple
    assert empty == Decision(event_id=None)
    assert Decision(event_id="a") != Decision(event_id="b")
    with pytest.raises(TypeError):
        _ = empty < Decision(event_id="a")  # type: ignore[operator]
    with pytest.raises(TypeError):
        len(empty)  # type: ignore[arg-type]
    assert not empty


def test_results_are_immutable_and_built_with_keywords() -> None:
    d = _decisions()[1]
    (dl,) = d.deadlines
    with pytest.raises(dataclasses.FrozenInstanceError):
        dl.status = "met"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        dl.explain.unit = "days"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Decision("e1")  # type: ignore[call-arg]
    moved = dataclasses.replace(dl, status="met")
    assert moved.status == "met" and dl.status == "open" and moved != dl


def test_every_outcome_names_its_rule_cite_pack_and_key() -> None:
    for d in _decisions():
        for o in d.outcomes:
            assert o.rule and o.pack == "mini" and o.event_id == "e1"
            assert o.cite is not None and o.cite.doc == "doc1"
            assert o.key[0] == "mini"
    (dl,) = _decisions()[1].deadlines
    assert dl.key == ("mini", "F", "arrival")
    (de,) = _decisions()[4].deductions
    assert de.key == ("mini", "S1", "monthly", "2024-06")


def test_to_json_is_one_line_of_the_to_dict() -> None:
    for d in _decisions():
        text = d.to_json()
        assert "\n" not in text
        assert json.loads(text) == d.to_dict()
    assert json.loads(_rejection().to_json())["errors"][0]["code"] == "event.unknown-type"


def test_a_rejection_carries_an_event_error_that_pickles_with_its_diagnostics() -> None:
    rej = _rejection()
    back = pickle.loads(pickle.dumps(rej.error))
    assert isinstance(back, EventError)
    assert back.diagnostics == rej.error.diagnostics
