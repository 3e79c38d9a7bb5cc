"""Which charting library draws `svcrules report`'s charts: the same charts (on-time rate per
clock and month, the breach timeline, score trajectories with thresholds) of the example streams
drawn by matplotlib (inline SVG, the report's choice), plotly (plotly.js inlined: the page must
open offline) and pygal (SVG, its JavaScript left out: it loads from the network). Prints the
self-contained page's bytes and the seconds to draw its charts (median of rounds), and the
import time of each library (in a fresh interpreter)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable

import svcrules
from _common import QUICK, ROOT, median_seconds
from svcrules.cli.lines import _read_events
from svcrules.report import ReportData, from_ledger
from svcrules.report import charts as mpl
from svcrules.report.model import OnTime

NOW = "2025-11-01T00:00:00+08:00"
PACKS = ("power-grid",) if QUICK else ("power-grid", "resident-staff")
ROUNDS = 1 if QUICK else 3


def report_data(pack: str) -> ReportData:
    engine = svcrules.Engine(pack)
    ledger = engine.ledger()
    with open(ROOT / "examples" / f"{pack}-events.jsonl", "rb") as f:
        list(ledger.apply_many(e for e in _read_events(f) if isinstance(e, dict)))
    ledger.advance(NOW)
    return from_ledger(engine, ledger, source="events", input=pack)


def _by_clock(data: ReportData) -> dict[str, list[OnTime]]:
    out: dict[str, list[OnTime]] = defaultdict(list)
    for cell in data.on_time:
        out[cell.clock].append(cell)
    return out


def page(parts: list[str]) -> str:
    head = "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
    return head + "".join(parts) + "</body></html>"


def with_matplotlib(data: ReportData) -> str:
    parts = [mpl.on_time_chart(c, cells) for c, cells in _by_clock(data).items()]
    parts.append(mpl.breach_timeline(data.breaches, "breaches"))
    for card in {s.scorecard for s in data.scores}:
        lines = [s for s in data.scores if s.scorecard == card]
        parts.append(
            mpl.score_chart(card, lines, [t for t in data.thresholds if t.scorecard == card])
        )
    return page(parts)


def with_plotly(data: ReportData) -> str:
    import plotly.graph_objects as go

    figs = []
    for clock, cells in _by_clock(data).items():
        months = [c.month for c in cells]
        fig = go.Figure()
        fig.add_bar(x=months, y=[c.met for c in cells], name="met")
        fig.add_bar(x=months, y=[c.breached for c in cells], name="breached")
        rates = [None if c.rate is None else float(c.rate) * 100 for c in cells]
        fig.add_scatter(x=months, y=rates, name="on-time %", yaxis="y2")
        fig.update_layout(
            title=clock,
            barmode="stack",
            width=360,
            height=240,
            yaxis2={"overlaying": "y", "side": "right", "range": [0, 105]},
        )
        figs.append(fig)
    fig = go.Figure()
    for clock in sorted({b.clock for b in data.breaches}):
        pts = [b for b in data.breaches if b.clock == clock]
        fig.add_scatter(x=[b.due for b in pts], y=[clock] * len(pts), mode="markers", name=clock)
    figs.append(fig)
    for card in {s.scorecard for s in data.scores}:
        fig = go.Figure()
        for s in data.scores:
            if s.scorecard == card:
                fig.add_scatter(
                    x=[t for t, _ in s.points],
                    y=[v for _, v in s.points],
                    line_shape="hv",
                    name=s.subject,
                )
        for t in data.thresholds:
            if t.scorecard == card:
                fig.add_hline(y=t.level, line_dash="dash", annotation_text=t.name)
        figs.append(fig)
    # the first chart carries plotly.js inline (the page must open offline), the others reuse it
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figs)]
    return page(parts)


def with_pygal(data: ReportData) -> str:
    import pygal

    cfg = {"js": [], "width": 360, "height": 240, "disable_xml_declaration": True}
    parts = []
    for clock, cells in _by_clock(data).items():
        chart = pygal.StackedBar(title=clock, **cfg)
        chart.x_labels = [c.month for c in cells]
        chart.add("met", [c.met for c in cells])
        chart.add("breached", [c.breached for c in cells])
        chart.add(
            "on-time %",
            [None if c.rate is None else float(c.rate) * 100 for c in cells],
            secondary=True,
        )
        parts.append(chart.render(is_unicode=True))
    chart = pygal.DateTimeLine(title="breaches", stroke=False, **{**cfg, "width": 900})
    for clock in sorted({b.clock for b in data.breaches}):
        chart.add(
            clock,
            [
                (dt.datetime.fromisoformat(b.due), i)
                for i, b in enumerate(b for b in data.breaches if b.clock == clock)
            ],
        )
    parts.append(chart.render(is_unicode=True))
    for card in {s.scorecard for s in data.scores}:
        chart = pygal.DateTimeLine(title=card, **{**cfg, "width": 900})
        for s in data.scores:
            if s.scorecard == card:
                chart.add(s.subject, [(dt.datetime.fromisoformat(t), v) for t, v in s.points])
        parts.append(chart.render(is_unicode=True))
    return page(parts)


CANDIDATES: dict[str, tuple[str, Callable[[ReportData], str]]] = {
    "matplotlib (inline SVG)": ("matplotlib.figure", with_matplotlib),
    "plotly (plotly.js inline)": ("plotly.graph_objects", with_plotly),
    "pygal (SVG, no JS)": ("pygal", with_pygal),
}


def import_seconds(module: str) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(done.stdout) if done.returncode == 0 else None


def main() -> None:
    for pack in PACKS:
        data = report_data(pack)
        print(
            f"{pack}: {len(data.on_time)} on-time cells, {len(data.breaches)} breaches, "
            f"{len(data.scores)} score lines"
        )
        for name, (_, draw) in CANDIDATES.items():
            try:
                html = draw(data)
            except ImportError as exc:
                print(f"  {name}: skipped: {exc}")
                continue
            seconds = median_seconds(lambda draw=draw, data=data: draw(data), rounds=ROUNDS)
            print(f"  {name:28s} {len(html.encode()):>10,d} bytes  {seconds:6.2f} s to draw")
    for name, (module, _) in CANDIDATES.items():
        s = import_seconds(module)
        print(f"IMPORT {name}: " + ("skipped: not installed" if s is None else f"{s:.2f} s"))


if __name__ == "__main__":
    main()
