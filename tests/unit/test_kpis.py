"""KPIs from the ledger: what a supervisor relies on — an on-time rate counts closed clocks by
the month of their due time in the pack's zone, leaves excused and cancelled clocks out, has no
value over an empty denominator, and follows a late event that withdraws an outcome."""

from __future__ import annotations

import copy
import json
import pickle
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
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


def ledger_with(engine: Engine, *events: dict[str, Any]) -> svcrules.Ledger:
    ledger = engine.ledger()
    for e in events:
        ledger.apply(e)
    return ledger


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
    ledger = ledger_with(
        engine,
        opened("A", "2024-05-06T09:00:00"),
        replied("A", "2024-05-06T09:30:00"),
        opened("B", "2024-07-06T09:00:00"),
        replied("B", "2024-07-06T09:30:00"),
    )
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
    ledger = ledger_with(
        engine,
        opened("A", "2024-05-06T09:00:00"),
        replied("A", "2024-05-06T13:00:00"),
        opened("B", "2024-05-06T09:00:00"),
        replied("B", "2024-05-06T09:30:00"),
    )
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


# --- share, count, average_score ------------------------------------------------------------


def test_share_counts_clocks_stopped_at_all_by_their_start_period(engine: Engine) -> None:
    """Revisit rate: closed tickets revisited (in time or late) / tickets closed in the month;
    a revisit still to come is in the denominator only; the period is the closing's."""
    ledger = engine.ledger()
    for e in (
        ev("c1", "ticket.closed", "2024-05-02T10:00:00", case="A"),
        ev("v1", "ticket.revisited", "2024-05-03T10:00:00", case="A"),  # in time
        ev("c2", "ticket.closed", "2024-05-02T10:00:00", case="B"),
        ev("v2", "ticket.revisited", "2024-05-20T10:00:00", case="B"),  # late, still revisited
        ev("c3", "ticket.closed", "2024-05-30T10:00:00", case="C"),  # due in June, not yet
        ev("c4", "ticket.closed", "2024-05-31T23:00:00", case="D"),
    ):
        ledger.apply(e)
    ledger.advance("2024-06-01T00:00:00+08:00")
    k = one(ledger, "revisit-rate", "2024-05")
    assert (k.numerator, k.denominator, k.value, k.met) == (2, 4, Decimal("0.5"), True)
    assert one(ledger, "revisit-rate", "2024-06").denominator == 0


def test_count_and_breach_count_by_month(engine: Engine) -> None:
    ledger = engine.ledger()
    ledger.apply(opened("A", "2024-05-31T22:00:00"))  # due 1 June 00:00 local
    ledger.apply(opened("B", "2024-05-06T09:00:00"))
    ledger.apply(opened("C", "2024-05-06T09:00:00"))
    ledger.advance("2024-06-02T00:00:00+08:00")
    may, june = (
        one(ledger, "late-escalations", "2024-05"),
        one(ledger, "late-escalations", "2024-06"),
    )
    assert (may.value, may.numerator, may.denominator, may.met) == (Decimal(2), 2, None, False)
    assert (june.value, june.met) == (Decimal(1), True)
    assert one(ledger, "reply-breaches", "2024-05").value == 2
    assert one(ledger, "reply-breaches", "2024-06").value == 1


def test_average_score_counts_listed_subjects_at_the_base(engine: Engine) -> None:
    ledger = engine.ledger()
    ledger.apply(ev("s1", "staff.slip", "2024-05-03T10:00:00", subject="ann", points=20))
    ledger.apply(ev("s2", "staff.slip", "2024-05-20T10:00:00", subject="ann", points=5))
    ledger.apply(ev("s3", "staff.slip", "2024-05-21T10:00:00", subject="cy", points=30))
    k = one(ledger, "staff-score", "2024-05")
    # ann ends May at 75, cy at 70, bo (listed, no deduction) at the base 100
    assert (k.numerator, k.denominator) == (245, 3)
    assert k.value == Decimal(245) / 3 and k.met is False
    june = one(ledger, "staff-score", "2024-06")  # only the listed subjects: at the base
    assert (june.numerator, june.denominator, june.value, june.met) == (200, 2, Decimal(100), True)


def test_an_average_without_listed_subjects_has_no_value_in_an_empty_month() -> None:
    """00:30 on 1 June in Shanghai is still 31 May in UTC: the deduction counts in June."""
    pack = copy.deepcopy(KPI_PACK)
    pack["kpis"] = [k for k in pack["kpis"] if k["id"] == "staff-score"]
    pack["kpis"][0]["subjects"] = []
    ledger = Engine(svcrules.load_pack(pack)).ledger()
    ledger.apply(ev("s1", "staff.slip", "2024-06-01T00:30:00", subject="ann", points=10))
    (may,) = ledger.kpis("2024-05")
    assert (may.value, may.denominator, may.met) == (None, 0, None)
    (june,) = ledger.kpis("2024-06")
    assert (june.numerator, june.denominator, june.value) == (90, 1, Decimal(90))


# --- the pack section -----------------------------------------------------------------------


def broken(**changes: Any) -> list[tuple[str, str | None]]:
    pack = copy.deepcopy(KPI_PACK)
    pack["kpis"] = [{"id": "k", "title": "K", "cite": {"doc": "t", "line": 1}, **changes}]
    with pytest.raises(svcrules.PackError) as info:
        svcrules.load_pack(pack)
    return [(d.code, d.path) for d in info.value.diagnostics]


def test_pack_checks_name_what_is_wrong_and_where() -> None:
    assert broken(kind="on_time", clock="replies") == [("kpi.unknown-clock", "$.kpis[0].clock")]
    assert broken(kind="on_time") == [("kpi.missing-field", "$.kpis[0]")]
    assert broken(kind="share", clock=["reply", "nope"]) == [
        ("kpi.unknown-clock", "$.kpis[0].clock[1]")
    ]
    assert broken(kind="count", outcome="escalation", rules=["nope"]) == [
        ("kpi.unknown-rule", "$.kpis[0].rules[0]")
    ]
    assert broken(kind="count") == [("kpi.missing-field", "$.kpis[0]")]
    assert broken(kind="average_score", scorecard="nope") == [
        ("kpi.unknown-scorecard", "$.kpis[0].scorecard")
    ]
    for shorter_or_across in ("day", "week"):  # a month is not made of whole weeks
        assert broken(kind="average_score", scorecard="staff", period=shorter_or_across) == [
            ("kpi.bad-period", "$.kpis[0].period")
        ]
    assert broken(kind="on_time", clock="reply", target="at least 95%") == [
        ("kpi.bad-target", "$.kpis[0].target")
    ]
    assert broken(kind="on_time", clock="reply", target=">= 95") == [
        ("kpi.bad-target", "$.kpis[0].target")
    ]
    assert broken(kind="on_time", clock="reply", period="fortnight") == [
        ("schema.bad-value", "$.kpis[0].period")
    ]
    assert broken(kind="ratio", clock="reply") == [("schema.bad-value", "$.kpis[0].kind")]


def test_duplicate_kpi_ids_and_unlisted_sources_are_refused() -> None:
    pack = copy.deepcopy(KPI_PACK)
    pack["kpis"].append(dict(pack["kpis"][0], cite={"doc": "elsewhere"}))
    with pytest.raises(svcrules.PackError) as info:
        svcrules.load_pack(pack)
    assert sorted(info.value.codes) == ["kpi.duplicate-id", "kpi.duplicate-id", "ref.source"]


def test_targets_are_exact_decimals_in_either_form() -> None:
    plans = {k.id: k for k in Engine(svcrules.load_pack(KPI_PACK)).compiled[0].ledger.kpis}  # type: ignore[union-attr]
    assert (plans["reply-on-time"].op, plans["reply-on-time"].target) == (">=", Decimal("0.9"))
    assert (plans["revisit-rate"].op, plans["revisit-rate"].target) == (">=", Decimal("0.5"))
    assert plans["reply-breaches"].target is None


def test_an_overlay_replaces_a_kpi_by_id_and_adds_its_own(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "base").mkdir()
    unshared = json.loads(json.dumps(KPI_PACK))  # YAML anchors for shared dicts are refused
    (tmp_path / "base" / "pack.yaml").write_text(yaml.safe_dump(unshared), encoding="utf-8")
    overlay = {
        "pack": "kpi-local",
        "version": "1",
        "title": "local",
        "extends": "../base",
        "kpis": [
            {"id": "reply-on-time", "title": "Local replies", "kind": "on_time",
             "clock": "reply", "target": ">= 0.8", "cite": {"doc": "t", "line": 2}},
            {"id": "local-count", "title": "Escalations", "kind": "count",
             "outcome": "escalation", "cite": {"doc": "t", "line": 3}},
        ],
    }  # fmt: skip
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "pack.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    kpis = svcrules.load_pack(str(tmp_path / "local")).spec.kpis
    assert [k.id for k in kpis] == [k["id"] for k in KPI_PACK["kpis"]] + ["local-count"]
    (local,) = [k for k in kpis if k.id == "reply-on-time"]
    assert (local.title, local.goal) == ("Local replies", (">=", Decimal("0.8")))


# --- average_score over a period longer than the scorecard's --------------------------------


def with_longer_averages() -> Engine:
    pack = copy.deepcopy(KPI_PACK)
    (monthly,) = [k for k in pack["kpis"] if k["id"] == "staff-score"]
    pack["kpis"] = [
        dict(monthly, id="staff-score-q", period="quarter"),
        dict(monthly, id="staff-score-y", period="year"),
    ]
    return Engine(svcrules.load_pack(pack))


def test_a_quarterly_average_is_the_mean_of_each_subjects_monthly_mean() -> None:
    """Worked by hand (base 100, ann and bo listed): ann ends April at 80, May at 90, June at
    the base: mean 90; bo 100 in each month: 100; cy, not listed, is counted in the months of
    her deductions only: May 70, June 90: mean 80. The quarter: (90 + 100 + 80) / 3 = 90; the
    eight scores sum to 730 (a pooled mean would be 91.25). The year: ann (80 + 90 + 10 × 100)
    / 12 = 97.5, bo 100, cy 80: 92.5 over 26 scores summing to 2530."""
    ledger = with_longer_averages().ledger()
    for e in (
        ev("s1", "staff.slip", "2024-04-10T10:00:00", subject="ann", points=20),
        ev("s2", "staff.slip", "2024-05-03T10:00:00", subject="ann", points=10),
        ev("s3", "staff.slip", "2024-05-21T10:00:00", subject="cy", points=30),
        ev("s4", "staff.slip", "2024-06-30T23:30:00", subject="cy", points=10),
    ):
        ledger.apply(e)
    q2 = one(ledger, "staff-score-q", "2024-Q2")
    assert (q2.value, q2.numerator, q2.denominator, q2.met) == (Decimal(90), 730, 8, True)
    year = one(ledger, "staff-score-y", "2024")
    assert (year.value, year.numerator, year.denominator) == (Decimal("92.5"), 2530, 26)
    q3 = one(ledger, "staff-score-q", "2024-Q3")  # no deduction: the listed staff at the base
    assert (q3.value, q3.numerator, q3.denominator) == (Decimal(100), 600, 6)
    assert [(k.kpi, k.period) for k in ledger.kpis()] == [
        ("staff-score-q", "2024-Q2"),
        ("staff-score-y", "2024"),
    ]
    assert ledger.kpis("2024-05") == ()  # neither KPI is monthly


def test_a_longer_average_places_a_month_by_the_packs_zone() -> None:
    """00:30 on 1 July in Shanghai is a July deduction (30 June in UTC): the third quarter,
    where cy's one month (60) and the listed staff's means (100) give 260 / 3."""
    ledger = with_longer_averages().ledger()
    ledger.apply(ev("s1", "staff.slip", "2024-07-01T00:30:00", subject="cy", points=40))
    q2, q3 = one(ledger, "staff-score-q", "2024-Q2"), one(ledger, "staff-score-q", "2024-Q3")
    assert (q2.value, q2.denominator) == (Decimal(100), 6)
    assert (q3.value, q3.numerator, q3.denominator) == (Decimal(260) / 3, 660, 7)


def test_json_gives_a_readable_value_beside_the_exact_one() -> None:
    """90 of 121 is 0.74380165...: `rounded` 0.7438, `percent` 74.38 (half-even: 0.74375 would
    be 74.38, 0.74385 too); a mean to 4 places; a count as it is; no value, no reading."""
    k = KpiValue(
        kpi="k",
        title="K",
        pack="p",
        period="2024-05",
        kind="on_time",
        value=Decimal(90) / Decimal(121),
        numerator=90,
        denominator=121,
        cite=svcrules.Cite("t"),
    )
    data = json.loads(k.to_json())
    assert (data["value"], data["rounded"], data["percent"]) == (
        "0.7438016528925619834710743802",
        "0.7438",
        "74.38",
    )
    assert replace(k, value=Decimal("0.74375")).percent == Decimal("74.38")  # half-even: 8
    assert replace(k, value=Decimal("0.74365")).percent == Decimal("74.36")  # half-even: 6
    assert replace(k, value=Decimal(1)).to_dict()["percent"] == 100
    mean = replace(k, kind="average_score", value=Decimal(260) / 3).to_dict()
    assert (mean["rounded"], mean["percent"]) == ("86.6667", None)
    count = replace(k, kind="count", value=Decimal(3), denominator=None).to_dict()
    assert (count["value"], count["rounded"], count["percent"]) == (3, 3, None)
    empty = replace(k, value=None).to_dict()
    assert (empty["rounded"], empty["percent"]) == (None, None)


def test_a_yearly_average_of_a_quarterly_scorecard() -> None:
    """ann loses 20 in February: Q1 80, then three quarters at the base: mean 95; bo 100 in each
    quarter. The year: (95 + 100) / 2 = 97.5 over 8 scores summing to 780."""
    pack = copy.deepcopy(KPI_PACK)
    pack["scorecards"]["staff"]["period"] = "quarter"
    (score,) = [k for k in pack["kpis"] if k["id"] == "staff-score"]
    pack["kpis"] = [dict(score, period="year")]
    ledger = Engine(svcrules.load_pack(pack)).ledger()
    ledger.apply(ev("s1", "staff.slip", "2024-02-10T10:00:00", subject="ann", points=20))
    (year,) = ledger.kpis("2024")
    assert (year.value, year.numerator, year.denominator) == (Decimal("97.5"), 780, 8)
    pack["kpis"] = [dict(score, period="month")]  # a quarter is not made of its months' scores
    with pytest.raises(svcrules.PackError) as info:
        svcrules.load_pack(pack)
    assert [d.code for d in info.value.diagnostics] == ["kpi.bad-period"]
