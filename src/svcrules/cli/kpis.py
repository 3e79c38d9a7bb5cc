"""CLI: ``svcrules kpis PACK EVENTS [--period P] [--now T] [--format json|table]``: the events
folded through a ledger (advanced to ``--now``), then ``Ledger.kpis(period)``: one JSON line per
KPI value, or a table of values against targets. Rejected lines are counted on standard error
(exit 1), as ``svcrules eval`` does."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any

from svcrules.cli import ledger as ledger_cli
from svcrules.cli.helptext import PACK_HELP, add_command
from svcrules.cli.lines import _read_events
from svcrules.cli.render import _print_table, _usage
from svcrules.engine import Engine
from svcrules.runtime import Decision
from svcrules.runtime.kpis import KpiValue


def add_parser(sub: Any) -> None:
    s = add_command(sub, "kpis", "KPIs of a pack over a period, from JSON Lines events")
    s.add_argument("pack", metavar="PACK", help=PACK_HELP)
    s.add_argument("events", metavar="EVENTS", help="events file (JSON Lines), or - for stdin")
    s.add_argument(
        "--period",
        metavar="P",
        help="one period: 2024-05, 2024-Q2, 2024, 2024-W19 or 2024-05-03 (default: every "
        "period the events reach)",
    )
    s.add_argument(
        "--now", metavar="T", help="advance the ledger to T (ISO 8601 with offset) after the events"
    )
    s.add_argument("--edition", metavar="NAME", help="the pack edition (default: the pack's)")
    s.add_argument(
        "--format",
        choices=("json", "table"),
        default="table",
        help="table (default) or one JSON object per KPI value",
    )
    s.set_defaults(func=cmd_kpis)


def cmd_kpis(args: argparse.Namespace) -> int:
    engine = Engine(args.pack, edition=args.edition)
    try:
        stream = sys.stdin.buffer if args.events == "-" else open(args.events, "rb")  # noqa: SIM115
    except OSError as exc:
        return _usage(f"cannot read {args.events}: {exc.strerror}")
    ledger = engine.ledger()
    rejected = 0
    with stream:
        for index, item in enumerate(_read_events(stream)):
            rejected += not isinstance(ledger_cli.apply(ledger, item, index), Decision)
    if args.now:
        ledger.advance(args.now)
    values = ledger.kpis(args.period)
    if args.format == "json":
        for value in values:
            print(value.to_json())
    else:
        head = ("KPI", "PERIOD", "VALUE", "COUNTED", "TARGET", "MET", "TITLE")
        _print_table([head, *(_row(v) for v in values)] if values else [head])
    if rejected:
        print(f"rejections: {rejected}", file=sys.stderr)
    return 1 if rejected else 0


def _row(v: KpiValue) -> tuple[str, ...]:
    counted = str(v.numerator) if v.denominator is None else f"{v.numerator}/{v.denominator}"
    target = "" if v.target is None else f"{v.op} {_shown(v.target, v.kind)}"
    met = {True: "yes", False: "NO", None: "-"}[v.met]
    return (v.kpi, v.period, _shown(v.value, v.kind), counted, target, met, v.title)


def _shown(value: Decimal | None, kind: str) -> str:
    """A ratio as a percentage to one place, a mean to two places, a count as it is."""
    if value is None:
        return "-"
    if kind in ("on_time", "share"):
        return f"{value * 100:.1f} %"
    if kind == "average_score":
        return f"{value:.2f}"
    return str(value)
