"""KPIs from the ledger: what a supervisor relies on — an on-time rate counts closed clocks by
the month of their due time in the pack's zone, leaves excused and cancelled clocks out, has no
value over an empty denominator, and follows a late event that withdraws an outcome."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from typing import Any

import pytest
from tests.kpi_packs import KPI_PACK

import svcrules
from svcrules import Engine, EventError, KpiValue


def ev(i: str, etype: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"id": i, "type": etype, "at": f"{when}+08:00", **fields}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(svcrules.load_pack(KPI_PACK))


def one(ledger: svcrules.Ledger, kpi: str, period: str) -> KpiValue:
    (value,) = [k for k in ledger.kpis(period) if k.kpi == kpi]
    return value


def opened(i: str, when: str) -> dict[str, Any]:
    return ev(f"o{i}", "ticket.opened", when, case=i)


def replied(i: str, when: str) -> dict[str, Any]:
    return ev(f"r{i}", "ticket.replied", when, case=i)


def test_on_time_is_met_over_met_and_breached(engine: Engine) -> None:
    ledger = engine.ledger()
    for e in (
        opened("A", "2024-05-06T09:00:00"),
        replied("A", "2024-05-06T11:00:00"),  # at the due minute: met
        opened("B", "2024-05-06T09:00:00"),
        replied("B", "2024-05-06T11:01:00"),  # a minute late: breached
        opened("C", "2024-05-06T09:00:00"),
        replied("C", "2024-05-06T10:00:00"),  # met
        opened("D", "2024-05-07T09:00:00"),  # still open, not yet due at the watermark
    ):
        ledger.apply(e)
    ledger.advance("2024-05-07T10:00:00+08:00")
    k = one(ledger, "reply-on-time", "2024-05")
    assert (k.numerator, k.denominator, k.value) == (2, 3, Decimal(2) / Decimal(3))
    assert (k.target, k.op, k.met) == (Decimal("0.9"), ">=", False)
    assert (k.pack, k.period, k.kind, k.catalog, k.cite.doc) == (
        "kpi-test",
        "2024-05",
        "on_time",
        ("K-1",),
        "t",
    )
    assert k.key == ("kpi-test", "reply-on-time", "2024-05")


def test_an_open_clock_past_due_counts_once_the_ledger_reports_it_breached(
    engine: Engine,
) -> None:
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-06T09:00:00"))
    ledger.advance("2024-05-06T10:59:00+08:00")
    assert one(ledger, "reply-on-time", "2024-05").denominator == 0
    ledger.advance("2024-05-06T11:00:01+08:00")  # the breach timer fires
    k = one(ledger, "reply-on-time", "2024-05")
    assert (k.numerator, k.denominator, k.value, k.met) == (0, 1, Decimal(0), False)


def test_empty_denominator_has_no_value_and_no_verdict(engine: Engine) -> None:
    ledger = engine.ledger()
    k = one(ledger, "reply-on-time", "2024-05")
    assert (k.value, k.numerator, k.denominator, k.met) == (None, 0, 0, None)


def test_excused_and_cancelled_clocks_are_left_out(engine: Engine) -> None:
    ledger = engine.ledger()
    for e in (
        opened("A", "2024-05-06T09:00:00"),
        ev("xA", "ticket.excused", "2024-05-06T12:00:00", case="A"),
        opened("B", "2024-05-06T09:00:00"),
        ev("wB", "ticket.withdrawn", "2024-05-06T10:00:00", case="B"),
        opened("C", "2024-05-06T09:00:00"),
        replied("C", "2024-05-06T09:30:00"),
    ):
        ledger.apply(e)
    ledger.advance("2024-05-08T00:00:00+08:00")
    k = one(ledger, "reply-on-time", "2024-05")
    assert (k.numerator, k.denominator, k.value, k.met) == (1, 1, Decimal(1), True)


def test_a_clock_counts_in_the_month_of_its_due_time_in_the_pack_zone(engine: Engine) -> None:
    """Opened 23:30 on 31 May in Shanghai: due 01:30 on 1 June local (still 31 May in UTC)."""
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-31T23:30:00"))
    ledger.apply(replied("A", "2024-06-01T00:10:00"))
    assert one(ledger, "reply-on-time", "2024-05").denominator == 0
    june = one(ledger, "reply-on-time", "2024-06")
    assert (june.numerator, june.denominator) == (1, 1)
    (q2,) = [k for k in ledger.kpis("2024-Q2") if k.kpi == "reply-on-time-q"]
    assert (q2.numerator, q2.denominator, q2.period) == (1, 1, "2024-Q2")


def test_a_late_reply_applied_out_of_order_turns_a_breach_into_met(engine: Engine) -> None:
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-06T09:00:00"))
    ledger.advance("2024-05-06T12:00:00+08:00")
    before = one(ledger, "reply-on-time", "2024-05")
    assert (before.numerator, before.denominator) == (0, 1)
    assert one(ledger, "late-escalations", "2024-05").value == 1
    ledger.apply(replied("A", "2024-05-06T10:30:00"))  # reported late, happened in time
    after = one(ledger, "reply-on-time", "2024-05")
    assert (after.numerator, after.denominator, after.met) == (1, 1, True)
    assert one(ledger, "late-escalations", "2024-05").value == 0


def test_kpis_without_a_period_lists_every_period_seen(engine: Engine) -> None:
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-06T09:00:00"))
    ledger.apply(replied("A", "2024-05-06T09:30:00"))
    ledger.apply(opened("B", "2024-07-06T09:00:00"))
    ledger.apply(replied("B", "2024-07-06T09:30:00"))
    series = [(k.kpi, k.period) for k in ledger.kpis() if k.kind == "on_time"]
    assert series == [
        ("reply-on-time", "2024-05"),
        ("reply-on-time", "2024-07"),
        ("reply-on-time-q", "2024-Q2"),
        ("reply-on-time-q", "2024-Q3"),
    ]
    assert ledger.kpis(pack="another") == ()


def test_a_bad_period_label_is_a_located_error(engine: Engine) -> None:
    with pytest.raises(EventError) as info:
        engine.ledger().kpis("May 2024")
    assert info.value.codes == ("kpi.bad-period",)


def test_kpi_value_is_immutable_picklable_and_plain_json(engine: Engine) -> None:
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-06T09:00:00"))
    ledger.apply(replied("A", "2024-05-06T13:00:00"))
    ledger.apply(opened("B", "2024-05-06T09:00:00"))
    ledger.apply(replied("B", "2024-05-06T09:30:00"))
    k = one(ledger, "reply-on-time", "2024-05")
    assert pickle.loads(pickle.dumps(k)) == k
    assert copy.deepcopy(k) == k
    with pytest.raises(AttributeError):
        k.value = Decimal(1)  # type: ignore[misc]
    data = json.loads(k.to_json())
    assert data["type"] == "kpi"
    assert (data["kind"], data["value"], data["target"], data["met"]) == (
        "on_time",
        "0.5",
        "0.9",
        False,
    )
    assert data["cite"]["doc"] == "t"
