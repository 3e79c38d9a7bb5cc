"""Write examples/power-grid-events.jsonl: one county's month (September 2025) for power-grid.

Deterministic (fixed seed): running it again gives the same file. The events follow the work
items of a county supply company through their life (a fault is reported, dispatched, reached;
an application is accepted, planned, accepted, contracted, energised; a complaint is received,
forwarded, answered; an outage is scheduled and announced; meters are read; voltages measured),
with a share of late or missing steps (breaches once a ledger folds them), outages recorded too
late, readings out of limits, paid services done wrong. The month holds only valid events (the
README's first command exits 0); three malformed lines of the same feed (invalid JSON, an unknown
area, a naive time) go to examples/power-grid-bad-events.jsonl, after its two hand-written bad
events, to show rejections.

    python scripts/make_power_grid_events.py            # rewrites both example files
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

SEED = 202509
TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2025, 9, 1, tzinfo=TZ)
DAYS = 30
OUT = Path(__file__).resolve().parents[1] / "examples" / "power-grid-events.jsonl"
BAD = OUT.with_name("power-grid-bad-events.jsonl")
HAND_WRITTEN_BAD = (  # the first two lines of BAD, kept as they are (docs/cli.md shows them)
    '{"id": "pg-029", "type": "fault.reported", "at": "2024-06-04T09:00:00+08:00", '
    '"case": "F-240604-010", "area": "suburban"}',
    '{"id": "pg-030", "type": "complaint.received", "at": "2024-08-02T09:00:00", '
    '"case": "TS-240802-0001"}',
)

AREAS = (
    ("urban", 45, 0.45),
    ("rural", 90, 0.4),
    ("remote", 120, 0.12),
    ("extra_remote", 120, 0.03),
)
CLASSES = (
    ("residential", 0.6),
    ("lv_power", 0.25),
    ("hv_single_source", 0.1),
    ("hv_dual_source", 0.05),
)


class County:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.events: list[tuple[dt.datetime, dict[str, Any]]] = []
        self.serial: dict[str, int] = {}

    def case(self, prefix: str, at: dt.datetime) -> str:
        n = self.serial[prefix] = self.serial.get(prefix, 0) + 1
        return f"{prefix}-{at:%y%m%d}-{n:03d}"

    def add(self, type_: str, at: dt.datetime, **fields: Any) -> None:
        self.events.append((at, {"type": type_, "at": at.isoformat(), **fields}))

    def moment(self, day: int, start_hour: int = 0, end_hour: int = 24) -> dt.datetime:
        minutes = self.rng.randrange(start_hour * 60, end_hour * 60)
        return START + dt.timedelta(days=day, minutes=minutes)

    def pick(self, table: Any) -> Any:
        return self.rng.choices([t[0] for t in table], [t[-1] for t in table])[0]

    # --- work items -----------------------------------------------------------------------

    def fault(self, day: int) -> None:
        r = self.rng
        at = self.moment(day)
        area = self.pick(AREAS)
        limit = dict((a, m) for a, m, _ in AREAS)[area]
        case = self.case("F", at)
        internal = r.random() < 0.08
        fields: dict[str, Any] = {"case": case, "area": area}
        if internal:
            fields["fault_class"] = "customer_internal"
        elif r.random() < 0.5:
            fields["fault_class"] = r.choice(("utility", "unknown"))
        self.add("fault.reported", at, **fields)
        if internal:
            disclosed = r.random() < 0.85
            extra = (
                {"paid_disclosed_at": (at + dt.timedelta(minutes=20)).isoformat()}
                if disclosed
                else {}
            )
            self.add(
                "repair.started",
                at + dt.timedelta(minutes=90),
                case=case,
                fault_class="customer_internal",
                **extra,
            )
            return
        dispatched = at + dt.timedelta(minutes=r.choice((1, 2, 3, 4, 4, 6, 9)))
        self.add("crew.dispatched", dispatched, case=case)
        late = r.random() < 0.12  # a weather day or a long drive
        travel = limit * (r.uniform(1.05, 1.6) if late else r.uniform(0.4, 0.95))
        self.add("crew.arrived", at + dt.timedelta(minutes=round(travel)), case=case)

    def application(self, day: int) -> None:
        r = self.rng
        at = self.moment(day, 8, 17)
        cls = self.pick(CLASSES)
        case = self.case("A", at)
        fields: dict[str, Any] = {"case": case, "customer_class": cls}
        if r.random() < 0.5:
            fields["channel"] = "counter"
            told = ["documents", "procedure", "fees", "consultation_phone", "complaint_phone"]
            if r.random() < 0.1:
                told.remove(r.choice(told))
            fields["disclosures"] = told
        else:
            fields["channel"] = "online"
        self.add("application.accepted", at, **fields)
        days = {"residential": 2, "lv_power": 6, "hv_single_source": 12, "hv_dual_source": 20}[cls]
        days += r.choice((0, 0, 0, 1, 3))  # some late
        plan_at = at + dt.timedelta(days=days, hours=r.randrange(-3, 3))
        if plan_at < START + dt.timedelta(days=DAYS):
            self.add("plan.issued", plan_at, case=case)
        if cls != "residential" and r.random() < 0.5:
            submitted = plan_at + dt.timedelta(days=2)
            supply = "lv" if cls == "lv_power" else "hv"
            self.add("design.submitted", submitted, case=case, supply=supply)
            replied = submitted + dt.timedelta(days=r.choice((4, 7, 9, 12)))
            form = "written" if r.random() < 0.9 else "verbal"
            self.add(
                "design.replied", replied, case=case, form=form, copy_returned=form == "written"
            )

    def connection(self, day: int) -> None:
        r = self.rng
        at = self.moment(day, 9, 17)
        cls = self.pick(CLASSES)
        case = self.case("E", at)
        first, second = ("acceptance.passed", "contract.signed")
        if r.random() < 0.4:
            first, second = second, first
        self.add(first, at, case=case, customer_class=cls)
        later = at + dt.timedelta(days=r.choice((0, 1, 2)), hours=2)
        self.add(second, later, case=case, customer_class=cls)
        gap = r.choice((1, 2, 3, 4, 6, 8))
        inspection = "passed" if r.random() < 0.95 else "failed"
        self.add(
            "power.energized", later + dt.timedelta(days=gap), case=case, inspection=inspection
        )

    def complaint(self, day: int, kind: str = "complaint") -> None:
        r = self.rng
        at = self.moment(day, 7, 22)
        case = self.case("TS" if kind == "complaint" else "JB", at)
        self.add(f"{kind}.received", at, case=case)
        self.add(
            "intake.forwarded",
            at + dt.timedelta(minutes=r.choice((10, 25, 40, 55, 180))),
            case=case,
        )
        limit = 5 if kind == "complaint" else 10
        reply = at + dt.timedelta(days=r.choice((1, 2, 3, 4, limit, limit + 2)), hours=1)
        self.add(f"{kind}.replied", reply, case=case)

    def outage(self, day: int) -> None:
        r = self.rng
        at = self.moment(day, 9, 17)
        kind = "planned" if r.random() < 0.7 else "temporary"
        case = self.case("TD", at)
        if kind == "planned":
            ahead = dt.timedelta(days=r.choice((8, 10, 12, 14, 5)), hours=r.randrange(0, 6))
        else:
            ahead = dt.timedelta(hours=r.choice((30, 36, 48, 20)))
        start = (at + ahead).replace(minute=0, second=0)
        important = r.choice((0, 0, 1, 2))
        self.add(
            "outage.planned",
            at,
            case=case,
            kind=kind,
            outage_start=start.isoformat(),
            important_customers=important,
        )
        notice = at + dt.timedelta(hours=r.choice((2, 5, 20)))
        contents = ["area", "lines", "start", "restore"]
        if r.random() < 0.1:
            contents.remove("restore")
        self.add(
            "outage.notice_published",
            notice,
            case=case,
            channel="public",
            outage_kind=kind,
            contents=contents,
        )
        if important:
            missed = 1 if r.random() < 0.15 else 0
            self.add(
                "outage.notice_published",
                notice + dt.timedelta(hours=1),
                case=case,
                channel="important_customers",
                important_customers_missed=missed,
            )

    def voltage(self, day: int) -> None:
        r = self.rng
        at = self.moment(day)
        nominal, phases = r.choice(((220, 1), (220, 1), (220, 1), (380, 3), (10000, 3), (35000, 3)))
        reading: dict[str, Any] = {"nominal_v": nominal, "phases": phases}
        spread = 0.115 if r.random() < 0.3 else 0.06
        if r.random() < 0.6:
            reading["v"] = round(nominal * r.uniform(1 - spread, 1 + spread * 0.8), 1)
        else:
            reading["v_max"] = round(nominal * r.uniform(1.0, 1 + spread * 0.8), 1)
            reading["v_min"] = round(nominal * r.uniform(1 - spread, 1.0), 1)
        if r.random() < 0.05:
            reading["system_state"] = "abnormal"
        if r.random() < 0.03:
            reading["pf_compliant"] = False
        self.add("voltage.measured", at, case=f"V-{self.rng.randrange(1, 60):03d}", **reading)

    def hall(self, day: int) -> None:
        r = self.rng
        at = self.moment(day, 9, 17)
        txn = r.choice(("residential_payment", "residential_payment", "service_business"))
        took = (
            r.choice((2, 3, 4, 4, 6))
            if txn == "residential_payment"
            else r.choice((8, 12, 15, 18, 24))
        )
        self.add(
            "hall.transaction_completed",
            at + dt.timedelta(minutes=took),
            txn_type=txn,
            started_at=at.isoformat(),
        )

    def call(self, day: int) -> None:
        r = self.rng
        rings = r.choice((1, 2, 2, 3, 3, 4, 5, 6))
        opening = ["greeting", "unit_name", "job_number"]
        if r.random() < 0.05:
            opening = ["greeting", "unit_name"]
        self.add(
            "call.answered",
            self.moment(day),
            rings=rings,
            apologised=rings > 4 and r.random() < 0.7,
            opening=opening,
        )

    def meter(self, day: int) -> None:
        r = self.rng
        scheduled = (START + dt.timedelta(days=day)).date()
        at = self.moment(day, 8, 18)
        fields: dict[str, Any] = {
            "case": f"M-{r.randrange(10000, 99999)}",
            "scheduled_date": scheduled.isoformat(),
        }
        roll = r.random()
        if roll < 0.05:
            at += dt.timedelta(days=1)  # read late, no excuse
        elif roll < 0.1:
            at += dt.timedelta(days=2)
            fields.update(miss_cause="customer", billing_basis="estimate_prev")
        self.add("meter.read", at, **fields)

    def paid_service(self, day: int) -> None:
        r = self.rng
        start = self.moment(day, 9, 15)
        owner = "customer" if r.random() < 0.9 else "utility"
        amount = 0 if owner == "utility" and r.random() < 0.5 else round(r.uniform(50, 600), 2)
        self.add(
            "paid_service.charged",
            start + dt.timedelta(hours=3),
            case=self.case("YC", start),
            asset_owner=owner,
            amount=amount,
            work_started_at=start.isoformat(),
            list_signed_at=(start - dt.timedelta(minutes=15)).isoformat(),
            items_off_schedule=1 if r.random() < 0.05 else 0,
            invoice_issued=r.random() < 0.95,
        )

    def inspection(self, day: int) -> None:
        r = self.rng
        at = self.moment(day, 9, 17)
        vclass = r.choice(("lv_power", "kv10", "kv10", "kv35_plus"))
        result = "passed" if r.random() < 0.8 else "failed"
        items = [
            "backup_power",
            "interlocks",
            "equipment",
            "tests",
            "devices",
            "sources",
            "protection",
        ]
        self.add(
            "inspection.completed",
            at,
            case=f"C-{r.randrange(100, 999)}",
            kind="periodic",
            result=result,
            voltage_class=vclass,
            written_notice=result == "failed",
            customer_signed=result == "failed" and r.random() < 0.8,
            record_items=items,
        )

    def run(self) -> list[dict[str, Any]]:
        r = self.rng
        for day in range(DAYS):
            weekday = (START + dt.timedelta(days=day)).weekday()
            for _ in range(r.randrange(3, 7)):
                self.fault(day)
            for _ in range(r.randrange(0, 3) if weekday < 5 else r.randrange(0, 2)):
                self.application(day)
            if r.random() < 0.35:
                self.connection(day)
            if r.random() < 0.6:
                self.complaint(day)
            if r.random() < 0.15:
                self.complaint(day, "report")
            if r.random() < 0.4:
                self.outage(day)
            for _ in range(r.randrange(1, 4)):
                self.voltage(day)
            for _ in range(r.randrange(1, 3)):
                self.hall(day)
            for _ in range(r.randrange(1, 3)):
                self.call(day)
            if weekday < 5:
                self.meter(day)
            if r.random() < 0.2:
                self.paid_service(day)
            if r.random() < 0.2:
                self.inspection(day)
        self.events.sort(key=lambda item: (item[0], item[1]["type"]))
        out = []
        for i, (_, ev) in enumerate(self.events, 1):
            out.append({"id": f"pg-{i:04d}", **ev})
        return out


def main() -> None:
    events = County().run()
    good = [json.dumps(ev, ensure_ascii=False) for ev in events]
    n = len(events)
    # A few malformed lines, as a real feed has: each is rejected, the rest still evaluated.
    lines = list(HAND_WRITTEN_BAD)
    broken = '{"id": "pg-bad-1", "type": "fault.reported", "at": "2025-09-30T21:00:00+08:00", '
    lines.append(broken)  # cut off mid-object: not JSON
    lines.append(
        json.dumps(
            {
                "id": f"pg-{n + 1:04d}",
                "type": "fault.reported",
                "at": "2025-09-30T21:05:00+08:00",
                "case": "F-250930-999",
                "area": "suburban",
            }
        )
    )
    lines.append(
        json.dumps(
            {
                "id": f"pg-{n + 2:04d}",
                "type": "complaint.received",
                "at": "2025-09-30T21:10:00",
                "case": "TS-250930-999",
            }
        )
    )
    OUT.write_text("\n".join(good) + "\n", encoding="utf-8")
    BAD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}: {n} events; {BAD.name}: {len(lines)} bad lines")


if __name__ == "__main__":
    main()
