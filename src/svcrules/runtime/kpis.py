"""Runtime: KPI values over a period from outcome rows (``rows.COLUMNS``): the one computation
behind ``Ledger.kpis`` (which reduces its current outcomes to rows) and ``scale.kpis`` (which
reads the outcome table). ``KpiPlan`` is the plain data the compiler builds from a pack's
``kpis:`` section; ``KpiValue`` is the result. See docs/kpis.md for each kind's definition."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from svcrules.diagnostics import Diagnostic, JSONObject
from svcrules.errors import EventError
from svcrules.runtime.due import period_label
from svcrules.runtime.rows import COLUMNS, Row
from svcrules.runtime.values import Cite, to_json_value

KpiKind = Literal["on_time", "share", "count", "average_score"]
KpiPeriod = Literal["day", "week", "month", "quarter", "year"]
KpiOp = Literal[">=", ">", "<=", "<", "=="]

OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
"""The comparison operators a target may use."""

_LABELS: tuple[tuple[KpiPeriod, re.Pattern[str]], ...] = (
    ("day", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("week", re.compile(r"^\d{4}-W\d{2}$")),
    ("month", re.compile(r"^\d{4}-\d{2}$")),
    ("quarter", re.compile(r"^\d{4}-Q[1-4]$")),
    ("year", re.compile(r"^\d{4}$")),
)

WIDER: dict[str, tuple[KpiPeriod, ...]] = {"month": ("quarter", "year"), "quarter": ("year",)}
"""The KPI periods, besides its own, an ``average_score`` KPI may have over a scorecard kept by
each period: those made of whole scorecard periods (a week does not fall in whole in a month)."""

_PLACES_4, _PLACES_2 = Decimal("0.0001"), Decimal("0.01")

_I = {name: i for i, name in enumerate(COLUMNS)}
KIND, RULE, CLOCK, CASE = _I["kind"], _I["rule"], _I["clock"], _I["case"]
SUBJECT = _I["subject"]
DUE, STATUS, SCORE, PACK = _I["due"], _I["status"], _I["score"], _I["pack"]
LATE, DETAIL, AT = _I["late_by_s"], _I["detail"], _I["at"]


@dataclass(frozen=True, slots=True)
class KpiPlan:
    """One KPI of a compiled pack, as plain data (built by the compiler from ``KpiSpec``)."""

    pack: str
    id: str
    title: str
    kind: KpiKind
    period: KpiPeriod
    tz: ZoneInfo
    cite: Cite
    measures: str | None = None
    catalog: tuple[str, ...] = ()
    op: KpiOp | None = None
    target: Decimal | None = None
    clocks: tuple[str, ...] = ()
    """``on_time``/``share``: the clocks counted; ``count`` of ``breach``: the clocks (all if
    empty)."""
    rules: tuple[str, ...] = ()
    """Only outcomes of these rules (all if empty)."""
    outcome: str | None = None
    """``count``: ``escalation``, ``violation``, ``deduction`` or ``breach``."""
    scorecard: str | None = None
    """``average_score``: the scorecard."""
    scorecard_period: str | None = None
    """``average_score``: the scorecard's period (the KPI's own, or one of ``WIDER``'s)."""
    base: int = 0
    """``average_score``: the scorecard's base (the score of a subject with no deduction)."""
    subjects: tuple[str, ...] = ()
    """``average_score``: subjects counted even without a deduction in the period."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiValue:
    """A KPI over one period: its value, how it was counted, and whether it met its target.

    Its JSON form (``to_dict``) opens with ``"type": "kpi"``, since ``kind`` is the KPI's kind.
    """

    kpi: str
    """The KPI's id in its pack."""
    title: str
    pack: str
    period: str
    """The period's label: ``2024-05-03``, ``2024-W19``, ``2024-05``, ``2024-Q2`` or ``2024``."""
    kind: KpiKind
    """The KPI's kind: ``on_time``, ``share``, ``count`` or ``average_score``."""
    value: Decimal | None
    """The ratio (0..1), count or mean; None when the denominator is 0."""
    numerator: int
    """Met clocks, clocks with the following event, outcomes counted, or the sum of scores."""
    denominator: int | None
    """Closed clocks, clocks started, scores counted (one per subject, or per subject and
    scorecard period over a longer period); None for a ``count``."""
    target: Decimal | None = None
    op: KpiOp | None = None
    met: bool | None = None
    """Whether ``value op target`` holds; None without a target or a value."""
    cite: Cite
    catalog: tuple[str, ...] = ()
    """The catalog ids the KPI implements (e.g. ``KPI-02``)."""
    measures: str | None = None
    """What it measures, in the pack's words."""

    @property
    def key(self) -> tuple[str, str, str]:
        """``(pack, kpi, period)``."""
        return (self.pack, self.kpi, self.period)

    @property
    def rounded(self) -> Decimal | None:
        """``value`` rounded half-even to 4 decimal places (``0.7438``, ``86.6667``); a count as
        it is; None without a value. For reading: ``value`` stays exact, ``met`` uses it."""
        if self.value is None or self.kind == "count":
            return self.value
        return self.value.quantize(_PLACES_4, rounding=ROUND_HALF_EVEN)

    @property
    def percent(self) -> Decimal | None:
        """A ratio (``on_time``, ``share``) in percent, rounded half-even to 2 decimal places
        (``74.38``); None for a count or an average, or without a value."""
        if self.value is None or self.kind not in ("on_time", "share"):
            return None
        return (self.value * 100).quantize(_PLACES_2, rounding=ROUND_HALF_EVEN)

    def to_dict(self) -> JSONObject:
        """JSON-ready mapping: ``type`` (``kpi``), then every field in declaration order;
        decimals as integers when whole and as text otherwise (exact); then the readable
        ``rounded`` and ``percent``, written the same way."""
        out: JSONObject = {"type": "kpi"}
        for f in fields(self):
            out[f.name] = to_json_value(getattr(self, f.name))
        out["rounded"] = to_json_value(self.rounded)
        out["percent"] = to_json_value(self.percent)
        return out

    def to_json(self) -> str:
        """``to_dict()`` as one line of JSON."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def period_kind(label: str) -> KpiPeriod | None:
    """Which kind of period a label names (``2024-05`` → ``month``); None if none."""
    for kind, pattern in _LABELS:
        if pattern.match(label):
            return kind
    return None


def kpi_values(
    plans: Sequence[KpiPlan], rows: Iterable[Row], period: str | None = None
) -> tuple[KpiValue, ...]:
    """Each KPI of ``plans`` over ``period`` (a label) from outcome ``rows``; with ``period``
    None, over every period the rows touch. A KPI whose period kind differs from the label's
    is left out; one with nothing to count in ``period`` is still given (value None or 0).
    A label that names no period raises ``EventError`` (``kpi.bad-period``)."""
    wanted = period_kind(period) if period is not None else None
    if period is not None and wanted is None:
        raise EventError(
            [
                Diagnostic(
                    "kpi.bad-period",
                    f"period {period!r} is not a period label",
                    hint="e.g. 2024-05, 2024-Q2, 2024, 2024-W19 or 2024-05-03",
                )
            ]
        )
    by_kind: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        by_kind.setdefault((row[PACK], row[KIND]), []).append(row)
    out: list[KpiValue] = []
    for plan in plans:
        if period is not None and plan.period != wanted:
            continue
        if plan.kind == "average_score":
            scores = _scores(plan, by_kind.get((plan.pack, "deduction"), []))
            labels = sorted(scores) if period is None else [period]
            out += [
                _value(plan, label, *_mean(plan, label, scores.get(label, {}))) for label in labels
            ]
            continue
        tallies = _tally(plan, by_kind)
        labels = sorted(tallies) if period is None else [period]
        for label in labels:
            num, den = tallies.get(label, (0, 0))
            if plan.kind == "count":
                out.append(_value(plan, label, num, None, Decimal(num)))
            else:
                out.append(_value(plan, label, num, den, Decimal(num) / den if den else None))
    return tuple(out)


Tally = dict[str, list[int]]
"""Per period label: ``[numerator, denominator]``."""


def _tally(plan: KpiPlan, by_kind: dict[tuple[str, str], list[Row]]) -> Tally:
    match plan.kind:
        case "on_time":
            return _on_time(plan, by_kind.get((plan.pack, "deadline"), []))
        case "share":
            return _share(plan, by_kind.get((plan.pack, "deadline"), []))
        case _:
            return _count(plan, by_kind)


def _chosen(plan: KpiPlan, row: Row) -> bool:
    return (not plan.clocks or row[CLOCK] in plan.clocks) and (
        not plan.rules or row[RULE] in plan.rules
    )


def _on_time(plan: KpiPlan, rows: list[Row]) -> Tally:
    """Closed clocks by the period of their due time: met / (met + breached)."""
    out: Tally = {}
    for row in rows:
        status = row[STATUS]
        if status not in ("met", "breached") or not _chosen(plan, row):
            continue
        t = out.setdefault(period_label(row[DUE], plan.period, plan.tz), [0, 0])
        t[0] += status == "met"
        t[1] += 1
    return out


def _share(plan: KpiPlan, rows: list[Row]) -> Tally:
    """Clocks by the period of their start (the closing event): those stopped at all (met, or
    breached and stopped late) / those started, cancelled and excused ones left out. A clock
    has a row as started (``open``) and, once it ends, a row as it ended: the latter decides."""
    clocks: dict[tuple[object, object], Row] = {}
    for row in rows:
        if row[AT] is None or not _chosen(plan, row):
            continue
        key = (row[CASE], row[CLOCK])
        if key not in clocks or row[STATUS] != "open":
            clocks[key] = row
    out: Tally = {}
    for row in clocks.values():
        status = row[STATUS]
        if status in ("cancelled", "excused"):
            continue
        t = out.setdefault(period_label(row[AT], plan.period, plan.tz), [0, 0])
        t[0] += status == "met" or (status == "breached" and row[LATE] is not None)
        t[1] += 1
    return out


def _count(plan: KpiPlan, by_kind: dict[tuple[str, str], list[Row]]) -> Tally:
    """Outcomes of one kind by the period of their event (a breach: of its due time)."""
    breach = plan.outcome == "breach"
    rows = by_kind.get((plan.pack, "deadline" if breach else str(plan.outcome)), [])
    out: Tally = {}
    for row in rows:
        if breach and row[STATUS] != "breached":
            continue
        when = row[DUE] if breach else row[AT]
        if when is None or not _chosen(plan, row):
            continue
        out.setdefault(period_label(when, plan.period, plan.tz), [0, 0])[0] += 1
    return out


Scores = dict[str, dict[str, dict[str, int]]]
"""Per KPI period label, per subject, per scorecard period label: the score at its end."""


def _scores(plan: KpiPlan, rows: list[Row]) -> Scores:
    """Each subject's score at the end of each scorecard period (its lowest score after a
    deduction: deductions only lower it), by the KPI period holding the scorecard period."""
    out: Scores = {}
    prefix = f"{plan.scorecard} "
    for row in rows:
        detail, score = row[DETAIL], row[SCORE]
        if not isinstance(detail, str) or not detail.startswith(prefix) or score is None:
            continue
        if plan.rules and row[RULE] not in plan.rules:
            continue
        card = detail.removeprefix(prefix)
        by_card = out.setdefault(_holding(card, plan), {}).setdefault(row[SUBJECT], {})
        by_card[card] = min(by_card.get(card, score), score)
    return out


def _holding(card: str, plan: KpiPlan) -> str:
    """The label of the KPI period holding the scorecard period ``card`` (``2024-05`` is in
    ``2024-Q2`` and ``2024``; ``2024-Q2`` in ``2024``)."""
    if plan.scorecard_period in (None, plan.period):
        return card
    if plan.period == "year":
        return card[:4]
    return f"{card[:4]}-Q{(int(card[5:7]) - 1) // 3 + 1}"  # a month's quarter


def _cards(label: str, plan: KpiPlan) -> tuple[str, ...]:
    """The scorecard periods that make up the KPI period ``label``."""
    if plan.scorecard_period in (None, plan.period):
        return (label,)
    year = label[:4]
    if plan.scorecard_period == "quarter":
        return tuple(f"{year}-Q{q}" for q in range(1, 5))
    first, last = (1, 12) if plan.period == "year" else (3 * int(label[-1]) - 2, 3 * int(label[-1]))
    return tuple(f"{year}-{m:02d}" for m in range(first, last + 1))


def _mean(
    plan: KpiPlan, label: str, by_subject: dict[str, dict[str, int]]
) -> tuple[int, int, Decimal | None]:
    """The mean over subjects of each subject's mean score over the scorecard periods it is
    counted in (those with a deduction; every one of ``label`` for the listed ``subjects``,
    at the base when they have none), with the sum and the number of the scores counted."""
    for subject in plan.subjects:
        by_card = by_subject.setdefault(subject, {})
        for card in _cards(label, plan):
            by_card.setdefault(card, plan.base)
    total = sum(sum(s.values()) for s in by_subject.values())
    counted = sum(len(s) for s in by_subject.values())
    if not by_subject:
        return total, counted, None
    mean = sum((Fraction(sum(s.values()), len(s)) for s in by_subject.values()), Fraction(0))
    mean /= len(by_subject)
    return total, counted, Decimal(mean.numerator) / Decimal(mean.denominator)


def _value(
    plan: KpiPlan,
    label: str,
    numerator: int,
    denominator: int | None,
    value: Decimal | None,
) -> KpiValue:
    met = None
    if value is not None and plan.op is not None and plan.target is not None:
        met = OPS[plan.op](value, plan.target)
    return KpiValue(
        kpi=plan.id,
        title=plan.title,
        pack=plan.pack,
        period=label,
        kind=plan.kind,
        value=value,
        numerator=numerator,
        denominator=denominator,
        target=plan.target,
        op=plan.op,
        met=met,
        cite=plan.cite,
        catalog=plan.catalog,
        measures=plan.measures,
    )
