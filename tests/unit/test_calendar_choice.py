"""Which calendar a clock uses (docs/pack-format.md), in the engine and in the test oracle.

Week of 2024-03-04 (Mon): no Chinese holiday, so the built-in CN calendar counts 3 working days
from Mon 03-04 to Thu 03-07; a calendar with an extra holiday that week lands on Fri 03-08.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.reference import choose_calendar, due_after

import svcrules

AT = "2024-03-04T10:00:00+08:00"
BUILTIN_CN = dt.date(2024, 3, 7)


def _pack(calendars: dict[str, Any], **deadline: Any) -> dict[str, Any]:
    return {
        "pack": "choice",
        "version": "1",
        "title": "calendar choice",
        "sources": {"d": {"title": "d"}},
        "calendars": calendars,
        "events": {"a.x": {}},
        "rules": [
            {
                "id": "r",
                "on": "a.x",
                "cite": {"doc": "d"},
                "deadline": {"clock": "c", "within": 3, "unit": "workdays", **deadline},
            }
        ],
    }


def _due_dates(pack: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The due date from the compiled engine and from the oracle."""
    engine = svcrules.Engine(pack)
    (deadline,) = engine.evaluate({"type": "a.x", "at": AT}).deadlines
    spec = engine.packs[0].spec
    dl = spec.rules[0].deadline
    assert dl is not None and dl.unit is not None
    cal = choose_calendar(spec, dl.calendar, dl.unit)
    _, oracle_day = due_after(
        dl.unit, 3, dt.datetime.fromisoformat(AT), engine.compiled[0].timezone, cal
    )
    return deadline.due_date, oracle_day


OFFICE = {"base": "CN", "extra_holidays": ["2024-03-05"]}  # 3 working days: due 03-08
SHIFTED = {"base": "CN", "extra_holidays": ["2024-03-06", "2024-03-07"]}  # due 03-11


@pytest.mark.parametrize(
    ("calendars", "deadline", "due"),
    [
        # Two calendars, neither called `default`: the built-in CN, not the first declared
        # (the old oracle took the first one and said 03-08 where the engine rightly said 03-07).
        ({"office": OFFICE, "cn": {"base": "CN"}}, {}, BUILTIN_CN),
        ({"office": OFFICE, "other": SHIFTED}, {}, BUILTIN_CN),
        # Exactly one calendar: that one, whatever its name.
        ({"office": OFFICE}, {}, dt.date(2024, 3, 8)),
        # A calendar called `default` wins over the others, wherever it is declared.
        ({"office": OFFICE, "default": SHIFTED, "cn": {"base": "CN"}}, {}, dt.date(2024, 3, 11)),
        # `calendar: NAME` names a declared calendar ...
        ({"office": OFFICE, "default": SHIFTED}, {"calendar": "office"}, dt.date(2024, 3, 8)),
        # ... and an undeclared upper-case country code is the built-in one, not `default`.
        ({"office": OFFICE, "default": SHIFTED}, {"calendar": "CN"}, BUILTIN_CN),
        # No calendar at all: the built-in CN.
        ({}, {}, BUILTIN_CN),
    ],
)
def test_a_clock_uses_the_documented_calendar(
    calendars: dict[str, Any], deadline: dict[str, Any], due: dt.date
) -> None:
    assert _due_dates(_pack(calendars, **deadline)) == (due, due)


def test_the_builtin_calendar_counts_in_the_pack_timezone() -> None:
    # 2024-03-04 10:00 +08:00 is still Sunday 03-03 in New York: day 0 is Sunday, so 3 working
    # days end on Wednesday 03-06 there (Thursday 03-07 if the count were in Asia/Shanghai).
    pack = _pack({"office": OFFICE, "other": SHIFTED})
    pack["timezone"] = "America/New_York"
    pack["rules"][0]["deadline"]["calendar"] = "CN"
    assert _due_dates(pack) == (dt.date(2024, 3, 6), dt.date(2024, 3, 6))
