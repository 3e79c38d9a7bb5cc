"""Report: the charts, drawn by matplotlib into inline SVG (no JavaScript, text left as text so
the page's font list, CJK fallbacks included, renders it): on-time rate per clock by month, the
breach timeline per clock, score trajectories with the pack's thresholds.

matplotlib is the ``report`` extra; it is imported on the first chart, never by ``svcrules``."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from svcrules.report.model import ClockRow, OnTime, ScoreLine, Threshold

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONTS = [
    "Noto Sans",
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "sans-serif",
]
"""The charts' font list (as the page's): Latin first, then CJK fallbacks; nothing embedded."""

MET, BREACHED, OPEN = "#2b8a3e", "#c92a2a", "#e67700"
LINES = ["#1864ab", "#c2255c", "#5f3dc4", "#087f5b", "#d9480f", "#495057", "#0b7285", "#862e9c"]


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    rc: dict[Any, object] = {
        "svg.fonttype": "none",  # <text>, not glyph outlines: small, and CJK by the browser
        "svg.hashsalt": "svcrules-report",  # the same data draws the same bytes
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # layout measures text with a Latin font; a CJK glyph it lacks is the browser's to draw
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        warnings.filterwarnings("ignore", message="findfont")
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    # no RDF block (date, creator, format): nothing in it is for the reader
    fig.savefig(
        buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    text = buf.getvalue()
    return text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE


def on_time_chart(clock: str, cells: Sequence[OnTime]) -> str:
    """One clock's on-time rate per month (met / (met + breached)), with the counts as bars."""
    with _style():
        fig = _figure(3.6, 2.4)
        ax = fig.add_subplot()
        months = [c.month for c in cells]
        x = range(len(months))
        ax.bar(x, [c.met for c in cells], color=MET, alpha=0.35, label="met")
        ax.bar(
            x,
            [c.breached for c in cells],
            bottom=[c.met for c in cells],
            color=BREACHED,
            alpha=0.35,
            label="breached",
        )
        ax.set_ylabel("clocks closed")
        rates = [None if c.rate is None else float(c.rate) * 100 for c in cells]
        ax2 = ax.twinx()
        ax2.plot(
            x,
            [r if r is not None else float("nan") for r in rates],
            marker="o",
            color="#1864ab",
            label="on-time %",
        )
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("on-time %")
        ax.set_xticks(list(x), months, rotation=45 if len(months) > 4 else 0)
        ax.set_title(clock)
        handles = [*ax.get_legend_handles_labels()[0], *ax2.get_legend_handles_labels()[0]]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        return _svg(fig)


def breach_timeline(rows: Sequence[ClockRow], title: str) -> str:
    """Every breached clock at its due time, one row per clock name; the larger the marker, the
    later the clock (stopped late, or still open at the watermark)."""
    with _style():
        by_clock: dict[str, list[ClockRow]] = defaultdict(list)
        for r in rows:
            by_clock[r.clock].append(r)
        names = sorted(by_clock)
        fig = _figure(9, 0.9 + 0.32 * max(len(names), 2))
        ax = fig.add_subplot()
        for i, name in enumerate(names):
            pts = by_clock[name]
            ax.scatter(
                _dates([r.due for r in pts]),
                [i] * len(pts),
                s=[_size(r.late_by_s) for r in pts],
                color=BREACHED,
                alpha=0.6,
            )
        ax.xaxis_date(tz=_zone(rows[0].due))  # ticks in the pack's zone, as the due times
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.set_title(title)
        ax.set_xlabel("due time (marker size: how late)")
        fig.autofmt_xdate()
        return _svg(fig)


def _dates(isoformats: Sequence[str]) -> list[float]:
    """ISO instants as matplotlib's date numbers (the axis shows them as dates)."""
    from matplotlib.dates import date2num

    return [float(date2num(dt.datetime.fromisoformat(t))) for t in isoformats]  # type: ignore[no-untyped-call]


def _zone(isoformat: str) -> dt.tzinfo | None:
    return dt.datetime.fromisoformat(isoformat).tzinfo


def _size(late_by_s: float | None) -> float:
    if late_by_s is None:
        return 40.0
    hours = late_by_s / 3600
    return float(min(200.0, 18 + 12 * hours**0.5))


def score_chart(card: str, lines: Sequence[ScoreLine], thresholds: Sequence[Threshold]) -> str:
    """Each subject's score on ``card`` over time (a step after each deduction), the pack's
    thresholds as dashed lines."""
    with _style():
        fig = _figure(9, 3.4)
        ax = fig.add_subplot()
        dated = all(len(t) > 7 for line in lines for t, _ in line.points)
        periods = sorted({t for line in lines for t, _ in line.points})
        for n, line in enumerate(lines):
            times = [t for t, _ in line.points]
            xs = _dates(times) if dated else [float(periods.index(t)) for t in times]
            ys = [s for _, s in line.points]
            ax.step(
                xs,
                ys,
                where="post",
                marker="o",
                markersize=3,
                color=LINES[n % len(LINES)],
                label=line.subject,
            )
        for th in thresholds:
            ax.axhline(th.level, linestyle="--", linewidth=1, color="#868e96")
            sign = "≤" if th.inclusive else "<"
            ax.annotate(
                f"{th.name} {sign} {th.level}",
                (0, th.level),
                xycoords=("axes fraction", "data"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
                color="#495057",
            )
        if dated:
            ax.xaxis_date(tz=_zone(lines[0].points[0][0]))
            fig.autofmt_xdate()
        else:
            ax.set_xticks(range(len(periods)), periods)
        ax.set_ylabel(card)
        ax.set_title(f"{card}: score per subject")
        levels = [s for line in lines for _, s in line.points] + [t.level for t in thresholds]
        ax.set_ylim(min(levels) - 5, max(levels) + 5)
        ax.legend(
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            fontsize=7,
            frameon=False,
            ncols=1 + len(lines) // 14,
        )
        return _svg(fig)
