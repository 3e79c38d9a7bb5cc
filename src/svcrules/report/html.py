"""Report: ``ReportData`` as one self-contained HTML page: inline CSS, inline SVG charts, no
script and no link to anything outside the file, so it opens offline and prints as it shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from pathlib import PurePath

from svcrules import __version__
from svcrules.diagnostics import JSONObject
from svcrules.report import charts
from svcrules.report.model import ClockRow, OnTime, ReportData

CSS = """
body{font-family:%s;margin:24px;color:#212529;max-width:1200px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid
#dee2e6;padding-bottom:4px}.meta{color:#495057;font-size:13px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #dee2e6;
padding:3px 6px;text-align:left;vertical-align:top}th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#2b8a3e;font-weight:bold}.fail{color:#c92a2a;font-weight:bold}.na{color:#868e96}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure.chart{margin:0;border:1px solid #e9ecef;
padding:6px}figure.chart svg{max-width:100%%;height:auto}
svg text{font-family:%s !important}
figcaption,.cite{font-size:11px;color:#495057;max-width:560px}
.notes li{color:#862e9c;font-size:13px}details summary{cursor:pointer}
"""

FONT_LIST = ", ".join(f'"{f}"' if " " in f else f for f in charts.FONTS)


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str) -> str:
    """A table from already escaped cells."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(rows_) + "</tr>" for rows_ in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _figure(svg: str, caption: str, name: str) -> str:
    return (
        f'<figure class="chart" data-chart="{_e(name)}">{svg}'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


RATIOS = ("on_time", "share")
"""KPI kinds whose value and target are fractions, shown as percentages."""


def _kpi_number(value: object, kind: object) -> str:
    if value is None:
        return "-"
    if kind in RATIOS:
        return f"{Decimal(str(value)) * 100:.1f} %"
    return str(value)


def _kpi_cells(k: JSONObject) -> list[str]:
    met = k.get("met")
    if met is True:
        verdict = '<td class="pass">pass</td>'
    elif met is False:
        verdict = '<td class="fail">fail</td>'
    else:
        verdict = '<td class="na">no data</td>'
    kind, target = k.get("kind"), k.get("target")
    goal = "-" if target is None else f"{k.get('op') or ''} {_kpi_number(target, kind)}"
    of = "" if k.get("denominator") is None else f"{k.get('numerator')} / {k.get('denominator')}"
    cite = k.get("cite")
    cite_text = cite.get("text") if isinstance(cite, dict) else cite
    return [
        f"<td>{_e(k.get('kpi'))}</td>",
        f"<td>{_e(k.get('title'))}</td>",
        f"<td>{_e(k.get('period'))}</td>",
        f'<td class="num">{_e(_kpi_number(k.get("value"), kind))}</td>',
        f'<td class="num">{_e(of)}</td>',
        f'<td class="num">{_e(goal)}</td>',
        verdict,
        f'<td class="cite">{_e(cite_text)}</td>',
    ]


def _kpis(data: ReportData) -> str:
    if not data.kpis:
        return '<p class="na">No KPIs for the months shown.</p>'
    head = ("KPI", "title", "period", "value", "of", "target", "result", "cite")
    return _table(head, (_kpi_cells(k) for k in data.kpis), "kpi-table")


def _on_time(data: ReportData) -> str:
    by_clock: dict[tuple[str, str], list[OnTime]] = defaultdict(list)
    for cell in data.on_time:
        by_clock[(cell.pack, cell.clock)].append(cell)
    if not by_clock:
        return '<p class="na">No clocks due in the months shown.</p>'
    figs = [
        _figure(charts.on_time_chart(clock, cells), f"{clock}: {cells[0].cite}", f"on-time {clock}")
        for (_, clock), cells in sorted(by_clock.items())
    ]
    rows = (
        [
            f"<td>{_e(c.clock)}</td>",
            f"<td>{_e(c.month)}</td>",
            f'<td class="num">{c.met}</td>',
            f'<td class="num">{c.breached}</td>',
            f'<td class="num">{c.open}</td>',
            f'<td class="num">{_e("-" if c.rate is None else f"{c.rate * 100:.1f} %")}</td>',
        ]
        for c in data.on_time
        if c.met or c.breached or c.open
    )
    head = ("clock", "month", "met", "breached", "still open", "on time")
    return f'<div class="charts">{"".join(figs)}</div>' + _table(head, rows, "on-time-table")


def _breaches(data: ReportData) -> str:
    if not data.breaches:
        return '<p class="na">No clock breached in the months shown.</p>'
    cites = sorted({f"{r.clock}: {r.cite}" for r in data.breaches})
    svg = charts.breach_timeline(data.breaches, f"{len(data.breaches)} breached clocks by due time")
    return _figure(svg, " | ".join(cites), "breach timeline")


def _scores(data: ReportData) -> str:
    if not data.scores:
        cards = sorted({f"{t.pack}/{t.scorecard}" for t in data.thresholds})
        what = f" on {', '.join(cards)}" if cards else " (the packs have no scorecard)"
        return f'<p class="na">No deductions in the months shown{_e(what)}.</p>'
    out = []
    for pack, card in sorted({(s.pack, s.scorecard) for s in data.scores}):
        lines = [s for s in data.scores if (s.pack, s.scorecard) == (pack, card)]
        ths = [t for t in data.thresholds if (t.pack, t.scorecard) == (pack, card)]
        cite = "; ".join(f"{t.name} ≤ {t.level}: {t.cite}" for t in ths if t.cite)
        out.append(_figure(charts.score_chart(card, lines, ths), cite, f"scores {card}"))
    return "".join(out)


def _late(seconds: float | None) -> str:
    return "-" if seconds is None else str(dt.timedelta(seconds=round(seconds)))


def _clock_cells(c: ClockRow) -> list[str]:
    return [
        f"<td>{_e(c.case)}</td>",
        f"<td>{_e(c.clock)}</td>",
        f"<td>{_e(c.status)}</td>",
        f"<td>{_e(c.due)}</td>",
        f'<td class="num">{_e(_late(c.late_by_s))}</td>',
        f"<td>{_e(c.rule)}</td>",
        f'<td class="cite">{_e(c.cite)}</td>',
        f"<td>{_e(c.explain)}</td>",
    ]


def _clocks(data: ReportData) -> str:
    if not data.clocks:
        return '<p class="na">No clock open or breached in the months shown.</p>'
    head = (
        "case",
        "clock",
        "status",
        "due",
        "late by",
        "rule",
        "cite",
        "how the due time was computed",
    )
    return _table(head, (_clock_cells(c) for c in data.clocks), "clock-table")


def render_html(data: ReportData) -> str:
    """The page: header, KPIs, on-time trends, breach timeline, scores, open and breached clocks."""
    months = f"{data.months[0]} … {data.months[-1]}" if data.months else "no data"
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.notes)
    sections = [
        ("kpis", "KPIs against their targets", _kpis(data)),
        ("on-time", "On-time rate per clock, by month of the due time", _on_time(data)),
        ("breaches", "Breaches per clock (case type)", _breaches(data)),
        ("scores", "Score trajectories and thresholds", _scores(data)),
        ("clocks", "Clocks open or breached, with how each due time was computed", _clocks(data)),
    ]
    body = "".join(
        f'<section id="{sid}"><h2>{_e(t)}</h2>{html}</section>' for sid, t, html in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(data.title)}: compliance report</title>"
        f"<style>{CSS % (FONT_LIST, FONT_LIST)}</style></head><body>"
        f"<h1>{_e(data.title)}</h1>"
        f'<p class="meta">packs {_e(", ".join(data.packs))} · {_e(data.source)} '
        f"{_e(PurePath(data.input).name)}"
        f" · months {_e(months)} · watermark {_e(data.watermark or '-')}"
        f" · svcrules {_e(__version__)}</p>"
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
        + body
        + "</body></html>\n"
    )
