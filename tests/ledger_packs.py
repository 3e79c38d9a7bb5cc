"""Small packs for the ledger tests: scorecards with a ladder, counters, a weekly schedule."""

from __future__ import annotations

from typing import Any

CITE = {"doc": "t", "line": 1}

STAFF_PACK: dict[str, Any] = {
    "pack": "staff-test",
    "version": "1",
    "title": "scorecards, counters and schedules",
    "timezone": "Asia/Shanghai",
    "params": {"reporters": ["lin"]},
    "scorecards": {
        "monthly": {
            "base": 100,
            "period": "month",
            "thresholds": [
                {"name": "warning", "at_or_below": 70},
                {"name": "replacement", "below": 60},
            ],
        },
        "capped": {"base": 100, "period": "month", "floor": 40, "cap": 50},
        "cycle": {"base": 12, "period": "cycle", "cycle_years": 3, "cycle_start": "2024-01-01"},
    },
    "counters": {
        "refusals": {"limit": 2, "consecutive": True, "reset_on": ["replacement.accepted"]},
        "outages": {"limit": 3, "period": "year", "key": "case"},
        "complaints": {"limit": 2, "window": {"days": 30}},
    },
    "events": {
        "staff.violation": {
            "fields": {
                "subject": {"type": "string", "required": True},
                "points": {"type": "int", "required": True},
            }
        },
        "staff.capped": {"fields": {"points": {"type": "int", "required": True}}},
        "staff.cycle": {"fields": {"points": {"type": "int", "required": True}}},
        "replacement.refused": {},
        "replacement.accepted": {},
        "outage.planned": {"fields": {"case": {"type": "string", "required": True}}},
        "complaint.received": {},
        "report.weekly_submitted": {},
        "staff.seen": {},
    },
    "rules": [
        {
            "id": "deduct",
            "on": "staff.violation",
            "cite": CITE,
            "deduct": {"scorecard": "monthly", "points": "points"},
        },
        {
            "id": "deduct.capped",
            "on": "staff.capped",
            "cite": CITE,
            "deduct": {"scorecard": "capped", "points": "points"},
        },
        {
            "id": "deduct.cycle",
            "on": "staff.cycle",
            "cite": CITE,
            "deduct": {"scorecard": "cycle", "points": "points"},
        },
        {
            "id": "warn",
            "on": "score.crossed",
            "when": "threshold == 'warning'",
            "cite": CITE,
            "escalate": {"to": "information_officer", "level": 1, "reason": "score at or below 70"},
        },
        {
            "id": "replace",
            "on": "score.crossed",
            "when": "threshold == 'replacement'",
            "cite": CITE,
            "escalate": {"to": "vendor_gm", "level": 2, "reason": "replacement request"},
        },
        {
            "id": "count.refusals",
            "on": "replacement.refused",
            "cite": CITE,
            "count": {"counter": "refusals"},
        },
        {
            "id": "refusals.escalate",
            "on": "counter.exceeded",
            "when": "counter == 'refusals'",
            "cite": CITE,
            "escalate": {"to": "head_of_information_office", "level": 1},
        },
        {
            "id": "count.outages",
            "on": "outage.planned",
            "cite": CITE,
            "count": {"counter": "outages"},
        },
        {
            "id": "outages.escalate",
            "on": "counter.exceeded",
            "when": "counter == 'outages'",
            "cite": CITE,
            "escalate": {"to": "regulator_liaison", "level": 1},
        },
        {
            "id": "count.complaints",
            "on": "complaint.received",
            "cite": CITE,
            "count": {"counter": "complaints"},
        },
        {
            "id": "complaints.escalate",
            "on": "counter.exceeded",
            "when": "counter == 'complaints'",
            "cite": CITE,
            "escalate": {"to": "service_manager", "level": 1},
        },
        {
            "id": "weekly-report",
            "on": "report.weekly_submitted",
            "cite": CITE,
            "schedule": {
                "name": "weekly_report",
                "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=13;BYMINUTE=0;BYSECOND=0",
                "start": "2024-01-01T00:00:00",
            },
        },
        {
            "id": "report-missed",
            "on": "schedule.missed",
            "cite": CITE,
            "escalate": {"to": "supervisor", "level": 1},
        },
    ],
}
