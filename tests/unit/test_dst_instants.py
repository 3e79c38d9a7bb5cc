"""Due times in zones with daylight saving time: the repeated hour when clocks go back.

Python compares two times of one ``ZoneInfo`` by wall time and ignores ``fold``, so if results
carried such times, two clocks due an hour apart in the repeated hour would be equal, hash alike
and sort in the wrong order. Results carry fixed offsets instead (``runtime.zones``); these tests
hold that, and that pauses and day clocks count the right time across the change.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.unit.test_ledger_clocks import CLOCK_PACK

from svcrules import Deadline, Engine

NEW_YORK = ZoneInfo("America/New_York")  # 2024-11-03 02:00 EDT -> 01:00 EST
UTC = dt.UTC


def zoned(zone: str) -> Engine:
    return Engine({**CLOCK_PACK, "timezone": zone})


def ev(i: str, etype: str, when: str | dt.datetime, **fields: Any) -> dict[str, Any]:
    return {"id": i, "type": etype, "at": when, **fields}


@pytest.fixture(scope="module")
def new_york() -> Engine:
    return zoned("America/New_York")


def test_two_clocks_due_an_hour_apart_in_the_repeated_hour_are_different_values(
    new_york: Engine,
) -> None:
    (first,) = new_york.evaluate(ev("a", "job.opened", "2024-11-03T04:30:00Z", case="A")).outcomes
    (second,) = new_york.evaluate(ev("b", "job.opened", "2024-11-03T05:30:00Z", case="A")).outcomes
    assert isinstance(first, Deadline) and isinstance(second, Deadline)
    assert first.due.isoformat() == "2024-11-03T01:30:00-04:00"
    assert second.due.isoformat() == "2024-11-03T01:30:00-05:00"
    assert second.due - first.due == dt.timedelta(hours=1)
    assert first.due != second.due and first.due < second.due
    # the same clock but for its due time: a different value, not a duplicate in a set
    twin = replace(second, start=first.start, event_id=first.event_id, explain=first.explain)
    assert twin != first and len({first, twin}) == 2
    back = pickle.loads(pickle.dumps(second))
    assert back == second and back.due.isoformat() == second.due.isoformat()
    assert second.due == dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC)  # equal to the instant


def test_the_ledger_lists_clocks_in_the_repeated_hour_by_instant(new_york: Engine) -> None:
    ledger = new_york.ledger()
    ledger.apply(ev("b", "job.opened", "2024-11-03T05:10:00Z", case="B"))  # due 01:10 EST
    ledger.apply(ev("a", "job.opened", "2024-11-03T04:50:00Z", case="A"))  # due 01:50 EDT
    assert [(d.case, d.due.isoformat()) for d in ledger.deadlines()] == [
        ("A", "2024-11-03T01:50:00-04:00"),
        ("B", "2024-11-03T01:10:00-05:00"),
    ]


def test_a_pause_moves_a_minute_clock_by_elapsed_time_across_the_change(
    new_york: Engine,
) -> None:
    ledger = new_york.ledger()
    ledger.apply(ev("o", "job.opened", "2024-11-03T04:15:00Z", case="J"))  # due 01:15 EDT
    ledger.apply(ev("p", "job.paused", "2024-11-03T04:45:00Z", case="J"))
    ledger.apply(ev("r", "job.resumed", "2024-11-03T05:45:00Z", case="J"))  # paused one hour
    (dl,) = ledger.deadlines()
    # one hour of elapsed time later: 01:15 again, in standard time (wall-clock arithmetic
    # would have given 02:15 EST, an hour too late)
    assert dl.due.isoformat() == "2024-11-03T01:15:00-05:00"
    ledger.apply(ev("d", "job.done", "2024-11-03T06:15:01Z", case="J"))
    (done,) = ledger.deadlines()
    assert (done.status, done.late_by) == ("breached", dt.timedelta(seconds=1))


def test_events_given_as_zone_times_in_the_repeated_hour_keep_their_instant(
    new_york: Engine,
) -> None:
    opened = dt.datetime(2024, 11, 3, 1, 40, tzinfo=NEW_YORK)  # EDT: 05:40Z
    done = dt.datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NEW_YORK)  # EST: 06:10Z, 30 min on
    ledger = new_york.ledger()
    ledger.apply(ev("o", "job.opened", opened, case="J"))
    ledger.apply(ev("d", "job.done", done, case="J"))
    (dl,) = ledger.deadlines()
    assert dl.status == "met"
    assert dl.start == opened.astimezone(UTC)
    assert dl.start.isoformat() == "2024-11-03T01:40:00-04:00"
    assert dl.due.isoformat() == "2024-11-03T01:40:00-05:00"


def test_a_day_clock_ends_at_the_later_of_a_repeated_midnight_hour() -> None:
    # Chile turned its clocks back at 2024-04-07 00:00 to 2024-04-06 23:00: 23:00-23:59:59 on
    # the 6th happened twice, and the day ended at the second 23:59:59 (-04:00).
    santiago = zoned("America/Santiago")
    ledger = santiago.ledger()
    ledger.apply(ev("r", "reply.asked", "2024-04-04T12:00:00-03:00", case="R"))
    (dl,) = ledger.deadlines()
    assert (dl.due_date, dl.due.isoformat()) == (
        dt.date(2024, 4, 6),
        "2024-04-06T23:59:59-04:00",
    )
    ledger.apply(ev("g", "reply.given", "2024-04-06T23:30:00-04:00", case="R"))  # 2nd 23:30
    assert ledger.deadlines()[0].status == "met"
    late = santiago.ledger()
    late.apply(ev("r", "reply.asked", "2024-04-04T12:00:00-03:00", case="R"))
    late.apply(ev("g", "reply.given", "2024-04-07T00:00:01-04:00", case="R"))
    (dl,) = late.deadlines()
    assert (dl.status, dl.late_by) == ("breached", dt.timedelta(seconds=1))
