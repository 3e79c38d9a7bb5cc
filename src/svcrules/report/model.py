"""Report: the figures a compliance report shows, as plain immutable values (``ReportData``), the
same for the HTML page and ``--format json``; built from a ledger (``build``) or an outcome table
(``table``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from decimal import Decimal

from svcrules.diagnostics import JSONObject, JSONValue
from svcrules.errors import SvcrulesError

FORMAT = "svcrules-report/1"
"""The ``format`` of ``--format json``; bumped when a field changes meaning."""


class ReportError(SvcrulesError, ValueError):
    """A report cannot be made: the input is missing, of an unknown kind, or not what its kind
    says (codes ``report.*`` in docs/errors.md)."""


def rate(met: int, breached: int) -> Decimal | None:
    """met / (met + breached), exact to four places; None when no clock was closed."""
    total = met + breached
    if not total:
        return None
    return (Decimal(met) / Decimal(total)).quantize(Decimal("0.0001"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _json(value: object) -> JSONValue:
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    assert value is None or isinstance(value, str | int | float | dict)
    return value


class _Figure:
    """What the report's rows share: ``to_dict`` gives every field in order, as JSON."""

    __slots__ = ()

    def to_dict(self) -> JSONObject:
        return {
            f.name: _json(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]  # every subclass is a dataclass
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class OnTime(_Figure):
    """A clock's closed clocks in one month (by the month of their due time, pack zone)."""

    pack: str
    clock: str
    month: str
    met: int
    breached: int
    open: int
    """Clocks due that month still open or paused at the watermark (not in the rate)."""
    cite: str

    @property
    def rate(self) -> Decimal | None:
        return rate(self.met, self.breached)

    def to_dict(self) -> JSONObject:
        return {**_Figure.to_dict(self), "rate": _text(self.rate)}  # slots: no bare super()


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockRow(_Figure):
    """One clock the report lists (breached, open or paused), with how its due time was
    computed (``explain``: empty where the input does not hold it, an outcome table)."""

    pack: str
    rule: str
    clock: str
    case: str | None
    status: str
    start: str | None
    due: str
    month: str
    late_by_s: float | None
    severity: str
    cite: str
    explain: str
    explain_data: JSONObject | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold(_Figure):
    """A scorecard threshold as the pack declares it, with the rules acting on its crossing."""

    pack: str
    scorecard: str
    name: str
    level: int
    inclusive: bool
    cite: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreLine(_Figure):
    """One subject's score on one scorecard: ``(time, score)`` after each deduction, the base
    at each period's start. From a table (no deduction times): one point per period end."""

    pack: str
    scorecard: str
    subject: str
    base: int
    points: tuple[tuple[str, int], ...]
    cite: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportData:
    """Everything a report shows; ``to_dict`` is ``--format json``."""

    packs: tuple[str, ...]
    title: str
    source: str
    """``events``, ``store`` or ``table``."""
    input: str
    months: tuple[str, ...]
    """The months shown, in order (``--from/--to``, ``--period``, else those with data)."""
    watermark: str | None
    kpis: tuple[JSONObject, ...]
    on_time: tuple[OnTime, ...]
    breaches: tuple[ClockRow, ...]
    clocks: tuple[ClockRow, ...]
    """Clocks open, paused or breached at the watermark (due in the months shown)."""
    scores: tuple[ScoreLine, ...]
    thresholds: tuple[Threshold, ...]
    notes: tuple[str, ...]
    """What the input cannot show, and what was rejected."""

    def to_dict(self) -> JSONObject:
        return {
            "format": FORMAT,
            "packs": list(self.packs),
            "title": self.title,
            "source": self.source,
            "input": self.input,
            "months": list(self.months),
            "watermark": self.watermark,
            "kpis": list(self.kpis),
            "on_time": [x.to_dict() for x in self.on_time],
            "breaches": [x.to_dict() for x in self.breaches],
            "clocks": [x.to_dict() for x in self.clocks],
            "scores": [x.to_dict() for x in self.scores],
            "thresholds": [x.to_dict() for x in self.thresholds],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
