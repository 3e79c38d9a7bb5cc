"""Authoring diagnostics: "did you mean" for an unknown key at every level of a pack and for an
unknown event type; `schema.bad-name` names the key; and no cascade from a part set aside by a
schema problem (docs/errors.md, "How loading stops")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import svcrules
from svcrules import PackError
from svcrules.diagnostics import Diagnostic


def _base() -> dict[str, Any]:
    return {
        "pack": "demo",
        "version": "1",
        "title": "t",
        "sources": {"sla": {"title": "SLA"}},
        "editions": {"new": {"default": True}},
        "params": {"reply_days": 3},
        "param_types": {"reply_days": {"type": "int", "min": 0}},
        "calendars": {"office": {"base": "CN"}},
        "scorecards": {"monthly": {"base": 100, "thresholds": [{"name": "warn", "below": 60}]}},
        "counters": {"refusals": {"limit": 3, "window": {"days": 30}}},
        "events": {
            "ticket.opened": {
                "fields": {
                    "area": {"type": "string"},
                    "due_at": {"type": "datetime"},
                }
            },
            "ticket.closed": {},
        },
        "rules": [
            {
                "id": "reply",
                "on": "ticket.opened",
                "cite": {"doc": "sla", "article": "1"},
                "when": "area == 'x'",
                "deadline": {
                    "clock": "reply",
                    "within": "params.reply_days",
                    "unit": "workdays",
                    "calendar": "office",
                },
            },
            {
                "id": "reply.stop",
                "on": "ticket.closed",
                "cite": {"doc": "sla"},
                "deadline": {"clock": "reply", "action": "stop"},
            },
            {
                "id": "late",
                "on": "ticket.opened",
                "cite": {"doc": "sla"},
                "deduct": {"scorecard": "monthly", "points": 5},
                "effective": {"from": "2024-01-01"},
            },
            {
                "id": "refused",
                "on": "ticket.opened",
                "cite": {"doc": "sla"},
                "count": {"counter": "refusals"},
            },
            {
                "id": "boss",
                "on": "ticket.opened",
                "cite": {"doc": "sla"},
                "escalate": {"to": "boss", "level": 1},
            },
            {
                "id": "v",
                "on": "ticket.opened",
                "cite": {"doc": "sla"},
                "check": {"assert": "area != 'y'", "message": "m"},
            },
            {
                "id": "weekly",
                "on": "ticket.closed",
                "cite": {"doc": "sla"},
                "schedule": {"name": "weekly", "rrule": "FREQ=WEEKLY;BYDAY=MO"},
            },
        ],
    }


def _problems(pack: dict[str, Any]) -> list[Diagnostic]:
    with pytest.raises(PackError) as err:
        svcrules.load_pack(pack)
    return list(err.value.diagnostics)


def test_the_base_pack_loads() -> None:
    svcrules.load_pack(_base())


def _rename(pack: dict[str, Any], path: tuple[str | int, ...], new: str) -> None:
    *parent, old = path
    node: Any = pack
    for part in parent:
        node = node[part]
    node[new] = node.pop(old)


TYPOS = [
    (("title",), "titel"),
    (("sources", "sla", "title"), "titl"),
    (("editions", "new", "default"), "defualt"),
    (("param_types", "reply_days", "min"), "mn"),
    (("calendars", "office", "base"), "bse"),
    (("scorecards", "monthly", "thresholds"), "tresholds"),
    (("scorecards", "monthly", "thresholds", 0, "below"), "bellow"),
    (("counters", "refusals", "window", "days"), "dayz"),
    (("counters", "refusals", "limit"), "limt"),
    (("events", "ticket.opened", "fields"), "feilds"),
    (("events", "ticket.opened", "fields", "area", "type"), "tpye"),
    (("rules", 0, "deadline"), "deadlin"),
    (("rules", 0, "when"), "wehn"),
    (("rules", 0, "cite", "article"), "artcle"),
    (("rules", 0, "deadline", "calendar"), "calender"),
    (("rules", 2, "deduct", "scorecard"), "scorcard"),
    (("rules", 2, "effective", "from"), "form"),
    (("rules", 3, "count", "counter"), "countr"),
    (("rules", 4, "escalate", "level"), "levle"),
    (("rules", 5, "check", "assert"), "asert"),
    (("rules", 6, "schedule", "rrule"), "rrul"),
]


@pytest.mark.parametrize(("path", "typo"), TYPOS, ids=[t for _, t in TYPOS])
def test_an_unknown_key_at_any_level_gets_did_you_mean(
    path: tuple[str | int, ...], typo: str
) -> None:
    pack = _base()
    _rename(pack, path, typo)
    problems = [d for d in _problems(pack) if d.code == "schema.unknown-key"]
    assert len(problems) == 1, problems
    assert problems[0].hint == f"did you mean {path[-1]!r}?"
    assert problems[0].path.endswith(typo)


def test_an_unknown_key_like_nothing_lists_the_keys() -> None:
    pack = _base()
    pack["rules"][1]["zzzz"] = 1
    (d,) = _problems(pack)
    assert d.hint is not None and d.hint.startswith("known keys: ") and "deadline" in d.hint


def test_bad_name_shows_the_key_not_the_value() -> None:
    pack = _base()
    pack["params"]["ReplyDays"] = 5
    (d,) = _problems(pack)
    assert (d.code, d.path) == ("schema.bad-name", "$.params.ReplyDays")
    assert "'ReplyDays'" in d.message and "5" not in d.message
    assert d.hint is not None and "snake_case" in d.hint


def test_an_unknown_event_type_gets_did_you_mean() -> None:
    pack = _base()
    pack["rules"][0]["on"] = "ticket.opend"
    problems = _problems(pack)
    assert [(d.code, d.hint) for d in problems] == [
        ("rule.unknown-event", "did you mean 'ticket.opened'?")
    ]


def _break(pack: dict[str, Any], what: str) -> None:
    """Break one part so that schema validation sets it aside."""
    if what == "started rule (key typo)":
        _rename(pack, ("rules", 0, "deadline"), "deadlin")
    elif what == "started rule (bad action)":
        pack["rules"][0]["deadline"]["action"] = "strat"
    elif what == "event type":
        pack["events"]["ticket.opened"]["fields"]["area"]["requird"] = True
    elif what == "param":  # read by the first rule
        pack["params"]["ReplyDays"] = 3
        pack["rules"][0]["deadline"]["within"] = "params.ReplyDays[area]"
    elif what == "scorecard":
        pack["scorecards"]["monthly"]["bse"] = 100
    elif what == "counter":
        pack["counters"]["refusals"]["limit"] = "three"
    elif what == "calendar":
        pack["calendars"]["office"]["extra_holidays"] = ["soon"]
    elif what == "source":
        pack["sources"]["sla"]["titel"] = "x"
    elif what == "edition":
        pack["editions"]["new"]["default"] = "yes please"


BROKEN = [
    "started rule (key typo)",
    "started rule (bad action)",
    "event type",
    "param",
    "scorecard",
    "counter",
    "calendar",
    "source",
    "edition",
]


@pytest.mark.parametrize("what", BROKEN)
def test_a_part_set_aside_causes_no_second_error(what: str) -> None:
    pack = _base()
    pack["rules"][0]["deadline"]["before"] = "due_at"
    pack["rules"][0]["editions"] = ["new"]
    pack["edition_params"] = {"new": {"reply_days": 4}}
    _break(pack, what)
    problems = _problems(pack)
    assert [d.code.split(".")[0] for d in problems] == ["schema"], problems


def test_several_broken_parts_give_one_error_each() -> None:
    pack = _base()
    for what in ("param", "started rule (key typo)", "event type", "scorecard", "counter"):
        _break(pack, what)
    # each a schema problem of its own (a bad name), not a reference to the set-aside param
    pack["edition_params"] = {"new": {"ReplyDays": 4}}
    pack["param_types"] = {"ReplyDays": {"type": "int"}}
    problems = _problems(pack)
    assert all(d.code.startswith("schema.") for d in problems), problems
    assert len(problems) == 7
    assert len({d.path for d in problems}) == 7


def test_a_rule_on_an_undeclared_type_gets_one_error_not_one_per_field() -> None:
    pack = copy.deepcopy(_base())
    pack["rules"][0]["on"] = "ticket.reopened"
    pack["rules"][0]["deadline"]["before"] = "due_at"
    pack["rules"][3]["on"] = "ticket.reopened"  # its counter is kept by `subject`
    problems = _problems(pack)
    assert [d.code for d in problems] == ["rule.unknown-event", "rule.unknown-event"]


@pytest.mark.parametrize(
    ("where", "wrong", "code", "right"),
    [
        (("rules", 1, "deadline", "clock"), "repyl", "ref.clock", "reply"),
        (("rules", 0, "deadline", "calendar"), "offce", "ref.calendar", "office"),
        (("rules", 2, "deduct", "scorecard"), "montly", "ref.scorecard", "monthly"),
        (("rules", 3, "count", "counter"), "refusal", "ref.counter", "refusals"),
        (("rules", 0, "cite", "doc"), "slaa", "ref.source", "sla"),
        (("rules", 4, "editions"), ["nwe"], "edition.unknown", "new"),
    ],
)
def test_an_unknown_reference_gets_did_you_mean(
    where: tuple[str | int, ...], wrong: Any, code: str, right: str
) -> None:
    pack = _base()
    node: Any = pack
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = wrong
    (d,) = _problems(pack)
    assert (d.code, d.hint) == (code, f"did you mean {right!r}?")
