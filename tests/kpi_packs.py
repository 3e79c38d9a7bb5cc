"""A small pack for the KPI tests: a 2-hour reply clock (stopped, cancelled, excused), a
follow-up clock started on closing, a monthly scorecard and an escalation on breach."""

from __future__ import annotations

from typing import Any

CITE = {"doc": "t", "line": 1}


def _rule(rid: str, on: str, **effect: Any) -> dict[str, Any]:
    return {"id": rid, "on": on, "cite": CITE, **effect}


KPI_PACK: dict[str, Any] = {
    "pack": "kpi-test",
    "version": "1",
    "title": "KPIs",
    "timezone": "Asia/Shanghai",
    "sources": {"t": {"title": "Test rules"}},
    "scorecards": {"staff": {"base": 100, "period": "month"}},
    "events": {
        "ticket.opened": {},
        "ticket.replied": {},
        "ticket.withdrawn": {},
        "ticket.excused": {},
        "ticket.closed": {},
        "ticket.revisited": {},
        "staff.slip": {"fields": {"points": {"type": "int", "required": True}}},
    },
    "rules": [
        _rule("reply", "ticket.opened", deadline={"clock": "reply", "within": 2, "unit": "hours"}),
        _rule("reply.stop", "ticket.replied", deadline={"clock": "reply", "action": "stop"}),
        _rule("reply.cancel", "ticket.withdrawn", deadline={"clock": "reply", "action": "cancel"}),
        _rule("reply.excuse", "ticket.excused", deadline={"clock": "reply", "action": "excuse"}),
        _rule(
            "revisit", "ticket.closed", deadline={"clock": "revisit", "within": 3, "unit": "days"}
        ),
        _rule("revisit.stop", "ticket.revisited", deadline={"clock": "revisit", "action": "stop"}),
        _rule("slip", "staff.slip", deduct={"scorecard": "staff", "points": "points"}),
        _rule(
            "late-reply",
            "deadline.breached",
            when="clock == 'reply'",
            escalate={"to": "lead", "level": 1, "reason": "reply late"},
        ),
    ],
    "kpis": [
        {
            "id": "reply-on-time",
            "title": "Replies within 2 hours",
            "kind": "on_time",
            "clock": "reply",
            "target": ">= 0.9",
            "cite": CITE,
            "catalog": ["K-1"],
        },
        {
            "id": "revisit-rate",
            "title": "Closed tickets revisited",
            "kind": "share",
            "clock": "revisit",
            "target": {"op": ">=", "value": 0.5},
            "cite": CITE,
        },
        {
            "id": "late-escalations",
            "title": "Escalations for late replies",
            "kind": "count",
            "outcome": "escalation",
            "target": "<= 1",
            "cite": CITE,
        },
        {
            "id": "reply-breaches",
            "title": "Replies breached",
            "kind": "count",
            "outcome": "breach",
            "clock": "reply",
            "cite": CITE,
        },
        {
            "id": "staff-score",
            "title": "Average staff score",
            "kind": "average_score",
            "scorecard": "staff",
            "subjects": ["ann", "bo"],
            "target": ">= 90",
            "cite": CITE,
        },
        {
            "id": "reply-on-time-q",
            "title": "Replies within 2 hours, by quarter",
            "kind": "on_time",
            "clock": "reply",
            "period": "quarter",
            "cite": CITE,
        },
    ],
}
