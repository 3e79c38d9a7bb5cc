"""The test oracle: a plain interpreter of a pack that walks its rules one by one.

It shares nothing with the compiler's code generation or dispatch: it re-reads the ``PackSpec``,
filters rules by edition, event type and effective date in the obvious way, evaluates expressions
with the tree-walking interpreter of ``reference_expr``, and reports what each rule implies as
plain dicts. The due-time arithmetic is the runtime's (tested on its own, against the calendar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from svcrules.calendars import calendar as builtin_calendar
from svcrules.expr import parse_expr
from svcrules.pack.checks import build_calendar, rule_fields
from svcrules.pack.schema import Pack
from svcrules.runtime import due_after, due_before, period_label
from tests.reference_expr import interpret


def _value(
    text: str | int | None,
    fields: Mapping[str, str],
    e: Mapping[str, Any],
    params: Mapping[str, Any],
) -> Any:
    if text is None or isinstance(text, int):
        return text
    return interpret(parse_expr(text, fields=fields, params=params), e, params)


def reference_outcomes(
    pack: Pack, params: Mapping[str, Any], e: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What each rule of ``pack`` implies for the validated event ``e``, in rule order."""
    spec = pack.spec
    tz = ZoneInfo(spec.timezone)
    out: list[dict[str, Any]] = []
    for rule in spec.rules:
        if rule.editions is not None and pack.edition not in rule.editions:
            continue
        if e["type"] not in rule.event_types:
            continue
        eff = rule.effective
        local_at = e["at"].astimezone(tz).replace(tzinfo=None)
        if eff is not None:
            if eff.from_ is not None and local_at < dt.datetime.combine(eff.from_, dt.time()):
                continue
            if eff.until is not None and local_at >= dt.datetime.combine(eff.until, dt.time()):
                continue
        fields = rule_fields(spec, rule)
        if rule.when is not None and not _value(rule.when, fields, e, params):
            continue
        base = {"rule": rule.id, "pack": spec.pack}
        if rule.deadline is not None:
            dl = rule.deadline
            if dl.action != "start":
                out.append({**base, "kind": "signal", "action": dl.action, "clock": dl.clock})
                continue
            assert dl.unit is not None
            amount = _value(dl.within, fields, e, params)
            start = _value(dl.start, fields, e, params) if dl.start else e["at"]
            cal = None
            if dl.unit in ("workdays", "business_hours") or dl.calendar:
                name = dl.calendar or next(iter(spec.calendars), None)
                cal = (
                    build_calendar(name, spec.calendars[name], spec.timezone)
                    if name in spec.calendars
                    else builtin_calendar(name or "CN", timezone=spec.timezone)
                )
            if dl.before:
                due, day = due_before(dl.unit, amount, e[dl.before], tz, cal)
            else:
                due, day = due_after(dl.unit, amount, start, tz, cal)
            out.append(
                {
                    **base,
                    "kind": "deadline",
                    "clock": dl.clock,
                    "due": due,
                    "due_date": day,
                    "severity": rule.severity,
                }
            )
        elif rule.deduct is not None:
            points = _value(rule.deduct.points, fields, e, params)
            subject = _value(rule.deduct.subject, fields, e, params)
            if subject is None:
                raise ValueError("a deduction needs a subject")
            period = spec.scorecards[rule.deduct.scorecard].period
            out.append(
                {
                    **base,
                    "kind": "deduction",
                    "points": int(points),
                    "subject": str(subject),
                    "period": period_label(e["at"], period, tz),
                }
            )
        elif rule.escalate is not None:
            out.append(
                {**base, "kind": "escalation", "to": rule.escalate.to, "level": rule.escalate.level}
            )
        elif rule.check is not None:
            ok = _value(rule.check.assert_, fields, e, params)
            if not ok:
                out.append(
                    {
                        **base,
                        "kind": "violation",
                        "severity": rule.severity,
                        "observed": _value(rule.check.observed, fields, e, params),
                        "limit": _value(rule.check.limit, fields, e, params),
                    }
                )
    return out


def compiled_outcomes(raw: list[Any]) -> list[dict[str, Any]]:
    """The compiled engine's raw outcomes in the oracle's shape."""
    from svcrules.runtime import ClockSignal, Deadline, Deduction, Escalation, Violation

    out: list[dict[str, Any]] = []
    for item in raw:
        base = {"rule": item.rule, "pack": item.pack}
        if isinstance(item, ClockSignal):
            out.append({**base, "kind": "signal", "action": item.action, "clock": item.clock})
        elif isinstance(item, Deadline):
            out.append(
                {
                    **base,
                    "kind": "deadline",
                    "clock": item.clock,
                    "due": item.due,
                    "due_date": item.due_date,
                    "severity": item.severity,
                }
            )
        elif isinstance(item, Deduction):
            out.append(
                {
                    **base,
                    "kind": "deduction",
                    "points": item.points,
                    "subject": item.subject,
                    "period": item.period,
                }
            )
        elif isinstance(item, Escalation):
            out.append({**base, "kind": "escalation", "to": item.to, "level": item.level})
        elif isinstance(item, Violation):
            out.append(
                {
                    **base,
                    "kind": "violation",
                    "severity": item.severity,
                    "observed": item.observed,
                    "limit": item.limit,
                }
            )
    return out
