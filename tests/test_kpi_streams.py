"""The KPI values the stream cases assert (policies/*/cases/kpis.yaml), worked out apart from
the KPI code: power-grid from the raw events (a crew dispatched within 5 minutes; a complaint
replied by the 5th day), resident-staff from the ledger's clock list and score query. Each test
checks the case file's figure, so a case cannot carry a number copied from the output."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

import svcrules

ROOT = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")


def stream(pack: str) -> list[dict[str, Any]]:
    lines = (ROOT / "examples" / f"{pack}-events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def expected(pack: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The case file's KPI expectations by (kpi, period)."""
    data = yaml.safe_load((ROOT / "policies" / pack / "cases" / "kpis.yaml").read_text("utf-8"))
    return {(k["kpi"], k["period"]): k for case in data["cases"] for k in case["expect"]["kpis"]}


def at(e: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(e["at"]).astimezone(CST)


def assert_case(want: dict[str, Any], met: int, closed: int) -> None:
    assert (want["numerator"], want["denominator"]) == (met, closed)
    if closed:
        places = Decimal(str(want["value"])).as_tuple().exponent
        assert isinstance(places, int)
        ratio = (Decimal(met) / Decimal(closed)).quantize(Decimal(1).scaleb(min(places, 0)))
        assert ratio == Decimal(str(want["value"]))
    else:
        assert want["value"] is None


def test_power_grid_dispatch_counted_from_raw_events() -> None:
    events = stream("power-grid")
    now = dt.datetime(2025, 11, 1, tzinfo=CST)
    dispatched = {e["case"]: at(e) for e in events if e["type"] == "crew.dispatched"}
    met: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    for e in events:
        if e["type"] != "fault.reported" or e.get("fault_class") == "customer_internal":
            continue
        due = at(e) + dt.timedelta(minutes=5)
        done = dispatched.get(e["case"])
        if done is None and due > now:
            continue  # still open
        month = due.strftime("%Y-%m")
        closed[month] += 1
        met[month] += done is not None and done <= due
    want = expected("power-grid")
    assert_case(want[("dispatch-on-time", "2025-09")], met["2025-09"], closed["2025-09"])
    assert_case(want[("dispatch-on-time", "2025-10")], met["2025-10"], closed["2025-10"])


def test_power_grid_complaint_replies_counted_from_raw_events() -> None:
    events = stream("power-grid")
    replied = {e["case"]: at(e).date() for e in events if e["type"] == "complaint.replied"}
    met: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    answered = received = 0
    for e in events:
        if e["type"] != "complaint.received":
            continue
        received += 1
        due = at(e).date() + dt.timedelta(days=5)  # a day unit: anything on the due date meets it
        done = replied.get(e["case"])
        answered += done is not None
        month = due.strftime("%Y-%m")
        closed[month] += 1
        met[month] += done is not None and done <= due
    want = expected("power-grid")
    for month in ("2025-09", "2025-10"):
        assert_case(want[("complaint-reply-on-time", month)], met[month], closed[month])
    assert_case(want[("complaint-answered", "2025-09")], answered, received)


def resident_ledger() -> svcrules.Ledger:
    ledger = svcrules.Engine("resident-staff").ledger()
    for _ in ledger.apply_many(stream("resident-staff")):
        pass
    ledger.advance("2025-04-30T00:00:00+08:00")
    return ledger


def test_resident_staff_arrivals_from_the_clock_list() -> None:
    ledger = resident_ledger()
    statuses = Counter(
        d.status
        for d in ledger.deadlines()
        if d.clock == "arrival" and d.due.astimezone(CST).strftime("%Y-%m") == "2025-03"
    )
    want = expected("resident-staff")[("arrival-on-time", "2025-03")]
    assert_case(want, statuses["met"], statuses["met"] + statuses["breached"])


def test_resident_staff_average_score_from_the_score_query() -> None:
    ledger = resident_ledger()
    months = {"2025-03": "2025-03-31T23:59:59+08:00", "2025-04": "2025-04-30T23:59:59+08:00"}
    deducted: dict[str, set[str]] = {m: set() for m in months}
    for e in stream("resident-staff"):
        if "subject" in e and e["at"][-6] in "+-":
            month = at(e).strftime("%Y-%m")
            if month in months and ledger.score(e["subject"], "monthly", months[month]) < 100:
                deducted[month].add(e["subject"])
    want = expected("resident-staff")
    for month, end in months.items():
        scores = [ledger.score(s, "monthly", end) for s in deducted[month]]
        w = want[("average-score", month)]
        assert (w["numerator"], w["denominator"]) == (sum(scores), len(scores))
        assert Decimal(str(w["value"])) == Decimal(sum(scores)) / len(scores)
