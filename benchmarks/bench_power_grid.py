"""Full power-grid pack benchmark (target 2): ``Engine("power-grid").evaluate`` on a realistic mix.

Run with ``python benchmarks/bench_power_grid.py``. About 10,000 events over 2024-2026 like
examples/power-grid-events.jsonl (fault reports in every area, applications of every class,
design submissions, acceptances and contracts, complaints, reports, planned and temporary
outages, voltage readings in and out of limits, and the stop events), from a fixed seed, on the
pack's default edition (ten-commitments). Compared in this process, median of 5 rounds, with:

A. a hand-written function computing the same outputs from the raw event: parses ``at``, checks
   the enum fields it uses, computes due times with plain datetime arithmetic (working days
   through ``add_workdays`` of the same shared CN calendar the engine uses, so both sides pay
   for the same indexed working-day arithmetic), the voltage checks with ``Decimal``; returns
   (rule, clock, due) / (rule, observed, limit) tuples;
B. the same function building the same result objects (a ``Decision`` of ``Deadline`` and
   ``Violation`` objects) through the compiled pack's effect objects.

Before timing, both must agree with the engine on every event: (rule, due) and violated rules
for A, equal ``Decision`` objects for B.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

import svcrules
from _common import QUICK, ROUNDS, machine, per_item_us, print_table, ratio_line, scaled
from svcrules import Engine
from svcrules.effects.check import CheckEffect
from svcrules.effects.deadline import DeadlineEffect, SignalEffect
from svcrules.runtime import Decision

N_EVENTS = scaled(10_000, 600)
SEED = 20261123
TZ = ZoneInfo("Asia/Shanghai")
CN = svcrules.calendar("CN", timezone="Asia/Shanghai")
OFFICE = svcrules.calendar("CN", timezone="Asia/Shanghai", hours="08:30-12:00,13:30-17:30")

AREAS = ("urban", "rural", "remote", "extra_remote")
CLASSES = ("residential", "lv_power", "hv_single_source", "hv_dual_source")
# (event type, weight): faults and voltage readings dominate, as in an operator's feed.
MIX = (
    ("fault.reported", 18),
    ("crew.arrived", 14),
    ("application.accepted", 7),
    ("plan.issued", 5),
    ("design.submitted", 5),
    ("design.replied", 3),
    ("acceptance.passed", 4),
    ("contract.signed", 4),
    ("power.energized", 3),
    ("complaint.received", 6),
    ("complaint.replied", 5),
    ("report.received", 3),
    ("report.replied", 2),
    ("outage.planned", 5),
    ("outage.notice_published", 4),
    ("voltage.measured", 12),
)


def make_events(n: int) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    types = [t for t, _ in MIX]
    weights = [w for _, w in MIX]
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    events = []
    for i in range(n):
        t = rng.choices(types, weights)[0]
        at = base + dt.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        ev: dict[str, Any] = {"id": f"pg-{i}", "type": t, "at": at.isoformat()}
        if t != "voltage.measured":
            ev["case"] = f"K-{rng.randrange(100_000):06d}"
        if t == "fault.reported":
            ev["area"] = rng.choice(AREAS)
        elif t in ("application.accepted", "acceptance.passed", "contract.signed"):
            ev["customer_class"] = rng.choice(CLASSES)
        elif t == "design.submitted":
            ev["supply"] = rng.choice(("lv", "hv"))
        elif t == "outage.planned":
            ev["kind"] = rng.choice(("planned", "temporary"))
            ahead = dt.timedelta(hours=rng.randrange(2, 24 * 20))
            ev["outage_start"] = (at + ahead).isoformat()
        elif t == "outage.notice_published":
            ev["channel"] = rng.choice(("public", "important_customers"))
        elif t == "voltage.measured":
            ev.update(voltage_reading(rng))
        events.append(ev)
    return events


def voltage_reading(rng: random.Random) -> dict[str, Any]:
    nominal, phases = rng.choice(((220, 1), (220, 1), (380, 3), (10000, 3), (110000, 3)))
    out: dict[str, Any] = {"nominal_v": nominal, "phases": phases}
    if rng.random() < 0.6:  # a single reading: within limits about two times in three
        out["v"] = round(nominal * rng.uniform(0.86, 1.12), 1)
    else:  # a window
        out["v_max"] = round(nominal * rng.uniform(1.0, 1.11), 1)
        out["v_min"] = round(nominal * rng.uniform(0.87, 1.0), 1)
    if rng.random() < 0.1:
        out["system_state"] = "abnormal"
    if rng.random() < 0.05:
        out["pf_compliant"] = False
    return out


# --- hand-written: the ten-commitments edition's rules, written out --------------------------

ARRIVAL = {"urban": 45, "rural": 90, "remote": 120, "extra_remote": 120}
SUPPLY_PLAN = {"residential": 3, "lv_power": 7, "hv_single_source": 15, "hv_dual_source": 30}
ENERGIZE = {"residential": 3, "lv_power": 5, "hv_single_source": 5, "hv_dual_source": 5}
CLASS_SET = frozenset(CLASSES)
STOPS = {
    "crew.arrived": ("arrival.stop",),
    "plan.issued": ("supply-plan.stop", "supply-plan.reason.plan"),
    "design.replied": ("design-review.stop",),
    "power.energized": ("energize.stop",),
    "complaint.replied": ("complaint-reply.stop",),
    "report.replied": ("report-reply.stop",),
}
NOTICE_STOPS = {  # which clocks a notice meets, by channel (in pack order)
    "public": ("outage-notice.public.stop", "outage-notice.temporary.stop"),
    "important_customers": (
        "outage-notice.temporary.stop",
        "outage-notice.important-customers.stop",
    ),
}
HV_FROM = Decimal(35000)
ARRIVAL_TD = {area: dt.timedelta(minutes=m) for area, m in ARRIVAL.items()}
EOD = dt.time(23, 59, 59)
DAYS_5, DAYS_7, DAYS_10 = (dt.timedelta(days=n) for n in (5, 7, 10))
HOURS_24 = dt.timedelta(hours=24)
DISPATCH_TD = dt.timedelta(minutes=5)
ONE_MONTH = relativedelta(months=1)
CN_ADD = CN.add_workdays


def _at(raw: dict[str, Any], name: str = "at") -> dt.datetime:
    at = dt.datetime.fromisoformat(raw[name])
    if at.tzinfo is None:
        raise ValueError(f"{name}: naive time")
    return at


def _enum(raw: dict[str, Any], name: str, allowed: Any) -> str:
    value = raw[name]
    if value not in allowed:
        raise ValueError(f"{name}: {value!r}")
    return value


def _num(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _voltage(raw: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    """(rule, observed, limit) of each voltage check that fails."""
    nom = _num(raw["nominal_v"])
    assert nom is not None
    phases = int(_enum(raw, "phases", (1, 3, "1", "3")))
    v, v_max, v_min = _num(raw.get("v")), _num(raw.get("v_max")), _num(raw.get("v_min"))
    state = raw.get("system_state") or "normal"
    if state not in ("normal", "abnormal"):
        raise ValueError(f"system_state: {state!r}")
    pf = raw.get("pf_compliant")
    if pf is None:
        pf = True
    hi = v if v_max is None else v_max
    lo = v if v_min is None else v_min
    out: list[tuple[str, Decimal, Decimal]] = []
    if not pf:
        return out

    def bounds(pct_over: int, pct_under: int, over: str, under: str) -> None:
        if not hi * 100 <= nom * (100 + pct_over):
            out.append((over, hi, nom * (100 + pct_over) / 100))
        if not lo * 100 >= nom * (100 - pct_under):
            out.append((under, lo, nom * (100 - pct_under) / 100))

    if state == "normal":
        if phases == 1 and nom < HV_FROM:
            if nom == 220:
                bounds(7, 10, "voltage.single-phase.over", "voltage.single-phase.under")
            else:
                out.append(("voltage.single-phase.not-evaluated", nom, Decimal(220)))
        if phases == 3 and nom < HV_FROM:
            bounds(7, 7, "voltage.three-phase.over", "voltage.three-phase.under")
        if nom >= HV_FROM:
            total = max(0, hi - nom) + max(0, nom - lo)
            if not total * 100 <= nom * 10:
                out.append(("voltage.hv-sum", total, nom * 10 / 100))
    else:
        bounds(10, 10, "voltage.abnormal.over", "voltage.abnormal.under")
    return out


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, EOD, tzinfo=TZ)


def _workdays(at: dt.datetime, n: int) -> dt.datetime:
    # The pack's CN calendar has no cut-off, so day 0 is the local date of the event.
    return _end_of_day(CN_ADD(at.astimezone(TZ).date(), n))


def hand_tuples(raw: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(rule, clock, due) per deadline, (rule, observed, limit) per violation; [] for stops.

    Written as a programmer would for this pack alone: due times by plain datetime arithmetic,
    working days through the same shared CN calendar's ``add_workdays`` the engine uses.
    """
    t = raw["type"]
    at = _at(raw)  # fromisoformat gives a fixed offset, so aware + timedelta is exact
    if t == "fault.reported":
        delta = ARRIVAL_TD[_enum(raw, "area", ARRIVAL)]
        return [
            ("dispatch", "dispatch", (at + DISPATCH_TD).astimezone(TZ)),
            ("arrival.commitments", "arrival", (at + delta).astimezone(TZ)),
        ]
    if t == "application.accepted":
        n = SUPPLY_PLAN[_enum(raw, "customer_class", CLASS_SET)]
        due = _workdays(at, n)  # the plan, and beside it the plan-or-explanation clock (PG-024)
        return [
            ("supply-plan.commitments", "supply_plan", due),
            ("supply-plan.reason.commitments", "supply_plan_reason", due),
        ]
    if t in ("acceptance.passed", "contract.signed"):
        n = ENERGIZE[_enum(raw, "customer_class", CLASS_SET)]
        return [("energize.commitments", "energize", _workdays(at, n))]
    if t == "design.submitted":
        day = at.astimezone(TZ).date()
        if _enum(raw, "supply", ("lv", "hv")) == "lv":
            return [("design-review.lv", "design_review", _end_of_day(day + DAYS_10))]
        return [("design-review.hv", "design_review", _end_of_day(day + ONE_MONTH))]
    if t in ("complaint.received", "report.received"):
        forward = ("intake.forward", "forward", OFFICE.add_business_hours(at, 1))
        day = at.astimezone(TZ).date()
        if t == "complaint.received":
            reply = ("complaint-reply", "complaint_reply", _end_of_day(day + DAYS_5))
        else:
            reply = ("report-reply", "report_reply", _end_of_day(day + DAYS_10))
        return [reply, forward]
    if t == "outage.planned":
        return [d[:3] for d in _outage(raw, at)]
    if t == "voltage.measured":
        return list(_voltage(raw))
    if t == "outage.notice_published":
        _enum(raw, "channel", NOTICE_STOPS)
        return []
    if t in STOPS:
        return []
    raise ValueError(f"unknown type {t!r}")


def _outage(raw: dict[str, Any], at: dt.datetime) -> list[tuple[Any, ...]]:
    """The notice deadline, then the late-record violation if the outage came in too late."""
    start = _at(raw, "outage_start")
    if _enum(raw, "kind", ("planned", "temporary")) == "planned":
        due_date = start.astimezone(TZ).date() - DAYS_7
        due = _end_of_day(due_date)
        out: list[tuple[Any, ...]] = [("outage-notice.planned", "outage_notice", due, 7, start)]
        local = at.astimezone(TZ).date()
        if local > due_date:
            out.append(("outage-notice.planned.late", local, due_date))
        return out
    due = (start - HOURS_24).astimezone(TZ)
    out = [("outage-notice.temporary", "outage_notice_temporary", due, 24, start)]
    if at > due:
        out.append(("outage-notice.temporary.late", at, due))
    return out


# Variant B: the compiled pack's effect objects, fetched by rule id in main().
FX: dict[str, Any] = {}


def _deadline(event_id: Any, d: Any, t: str) -> Decision:
    return Decision(event_id=event_id, event_type=t, deadlines=(d,), warnings=d.warnings)


def _deadlines(event_id: Any, ds: tuple[Any, ...], t: str) -> Decision:
    warnings = tuple(w for d in ds for w in d.warnings)
    return Decision(event_id=event_id, event_type=t, deadlines=ds, warnings=warnings)


def hand_objects(raw: dict[str, Any]) -> Decision:
    """The same decision as the engine's, built through the compiled pack's effects."""
    t = raw["type"]
    at = _at(raw)
    e = {"id": raw.get("id"), "type": t, "at": at, "case": raw.get("case"), "subject": None}
    if t == "fault.reported":
        e["area"] = raw["area"]
    if t == "fault.reported":
        minutes = ARRIVAL[_enum(raw, "area", ARRIVAL)]
        both = (FX["dispatch"](e, 5, at), FX["arrival.commitments"](e, minutes, at))
        return _deadlines(e["id"], both, t)
    if t == "application.accepted":
        n = SUPPLY_PLAN[_enum(raw, "customer_class", CLASS_SET)]
        plan = (
            FX["supply-plan.commitments"](e, n, at),
            FX["supply-plan.reason.commitments"](e, n, at),
        )
        return _deadlines(e["id"], plan, t)
    if t in ("acceptance.passed", "contract.signed"):
        n = ENERGIZE[_enum(raw, "customer_class", CLASS_SET)]
        return _deadline(e["id"], FX["energize.commitments"](e, n, at), t)
    if t == "design.submitted":
        if _enum(raw, "supply", ("lv", "hv")) == "lv":
            return _deadline(e["id"], FX["design-review.lv"](e, 10, at), t)
        return _deadline(e["id"], FX["design-review.hv"](e, 1, at), t)
    if t == "complaint.received":
        pair = (FX["complaint-reply"](e, 5, at), FX["intake.forward"](e, 1, at))
        return _deadlines(e["id"], pair, t)
    if t == "report.received":
        pair = (FX["report-reply"](e, 10, at), FX["intake.forward"](e, 1, at))
        return _deadlines(e["id"], pair, t)
    if t == "outage.planned":
        (rule, _, _, within, start), *late = _outage(raw, at)
        d = FX[rule](e, within, at, start)
        checks = tuple(FX[r](e, observed, limit) for r, observed, limit in late)
        return Decision(
            event_id=e["id"], event_type=t, deadlines=(d,), violations=checks, warnings=d.warnings
        )
    if t == "voltage.measured":
        found = _voltage(raw)
        if not found:
            return Decision(event_id=e["id"], event_type=t)
        violations = tuple(FX[rule](e, observed, limit) for rule, observed, limit in found)
        return Decision(event_id=e["id"], event_type=t, violations=violations)
    if t in STOPS or t == "outage.notice_published":
        if t == "outage.notice_published":
            rules = NOTICE_STOPS[_enum(raw, "channel", NOTICE_STOPS)]
        else:
            rules = STOPS[t]
        signals = tuple(FX[r](e) for r in rules)  # the clock signals the engine also builds
        return Decision(event_id=e["id"], event_type=t, signals=signals)
    raise ValueError(f"unknown type {t!r}")


def bind_effects(engine: Engine) -> None:
    kinds = (DeadlineEffect, SignalEffect, CheckEffect)
    for handler in engine.compiled[0].handlers.values():
        for value in handler.__globals__.values():
            if isinstance(value, kinds):
                FX[value.meta.rule] = value


def main() -> None:
    engine = Engine("power-grid")
    assert engine.compiled[0].edition == "ten-commitments", engine.compiled[0].edition
    bind_effects(engine)
    events = make_events(N_EVENTS)

    # --- correctness before timing
    decisions = [engine.evaluate(ev) for ev in events]
    n_deadlines = n_violations = 0
    for ev, dec in zip(events, decisions, strict=True):
        mine = hand_tuples(ev)
        theirs = [(d.rule, d.clock, d.due) for d in dec.deadlines] + [
            (v.rule, v.observed, v.limit) for v in dec.violations
        ]
        assert mine == theirs, (ev, mine, theirs)
        assert hand_objects(ev) == dec, ev
        n_deadlines += len(dec.deadlines)
        n_violations += len(dec.violations)

    def engine_run(_: Any) -> None:
        evaluate = engine.evaluate
        for ev in events:
            evaluate(ev)

    def tuples_run(_: Any) -> None:
        for ev in events:
            hand_tuples(ev)

    def objects_run(_: Any) -> None:
        for ev in events:
            hand_objects(ev)

    n = len(events)
    us_engine = per_item_us(engine_run, n)
    us_tuples = per_item_us(tuples_run, n)
    us_objects = per_item_us(objects_run, n)

    print(machine())
    print(
        f"{n} events ({n_deadlines} deadlines, {n_violations} violations), power-grid "
        f"{engine.compiled[0].version} edition {engine.compiled[0].edition}, "
        f"median of {ROUNDS} rounds" + (" (QUICK)" if QUICK else "")
    )
    print_table(
        "Per event:",
        [
            ('Engine("power-grid").evaluate(raw)', us_engine, ""),
            ("A. hand-written, tuples", us_tuples, ""),
            ("B. hand-written, same Decision via the pack's effects", us_objects, ""),
        ],
        "us",
    )
    ratio_line("evaluate/hand-written tuples", us_engine / us_tuples, "<= 3")
    ratio_line("evaluate/hand-written same objects", us_engine / us_objects, "<= 3")


if __name__ == "__main__":
    main()
