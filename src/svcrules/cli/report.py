"""CLI: ``svcrules report PACK... INPUT [--out FILE] [--format html|json]``: a compliance report
of an events stream (folded through a ledger, ``--now`` to advance it), a ledger store or an
outcome table (``svcrules.report``); one self-contained HTML file, or the same figures as JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO

from svcrules.cli import ledger as ledger_cli
from svcrules.cli.helptext import PACK_HELP, add_command
from svcrules.cli.lines import _read_events, parse_params
from svcrules.cli.render import _usage
from svcrules.engine import Engine
from svcrules.ledger import Ledger
from svcrules.report import ReportData, from_ledger, from_table, read_table, render_html
from svcrules.report.sources import error, input_kind, open_store
from svcrules.runtime import Rejection


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = add_command(
        sub, "report", "a compliance report (HTML or JSON) of events, a ledger store or a table"
    )
    s.add_argument(
        "args",
        nargs="+",
        metavar="PACK... INPUT",
        help=f"one or more packs ({PACK_HELP}), then the input: a JSON Lines events file (or -), "
        "a SQLite ledger store, or a Parquet outcome table",
    )
    s.add_argument(
        "--input-kind",
        choices=("events", "store", "table"),
        help="what INPUT holds (default: by its first bytes, then its suffix)",
    )
    s.add_argument("--edition", metavar="NAME", help="the pack edition (default: the pack's)")
    s.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override a param, as eval does (repeatable)",
    )
    s.add_argument("--now", metavar="T", help="advance the ledger to T before reporting")
    s.add_argument("--from", dest="first", metavar="YYYY-MM", help="first month shown")
    s.add_argument("--to", dest="last", metavar="YYYY-MM", help="last month shown")
    s.add_argument("--period", metavar="P", help="one month, quarter or year: 2025-09, 2025-Q3")
    s.add_argument(
        "--format",
        choices=("html", "json"),
        default="html",
        help="html (default): one self-contained page; json: the same figures as data",
    )
    s.add_argument("--out", "-o", metavar="FILE", help="write here (default: standard output)")


def _events_ledger(engine: Engine, path: str, now: str | None) -> tuple[Ledger, list[str]]:
    """A ledger of a JSON Lines stream, and a note on the events it rejected."""
    ledger = engine.ledger()
    stream: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    rejected: list[Rejection] = []
    try:
        for index, item in enumerate(_read_events(stream)):
            result = ledger_cli.apply(ledger, item, index)
            if isinstance(result, Rejection):
                rejected.append(result)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if now is not None:
        ledger.advance(now)
    notes = []
    if rejected:
        first = rejected[0].error.diagnostics[0]
        notes.append(
            f"{len(rejected)} event(s) of {path} rejected and not in the figures (first: line "
            f"{rejected[0].index + 1}, {first.code}: {first.message})"
        )
    return ledger, notes


def build(engine: Engine, path: str, args: argparse.Namespace) -> ReportData:
    kind = input_kind(path, args.input_kind)
    period = {"first": args.first, "last": args.last, "period": args.period}
    if kind == "table":
        if args.now:
            raise error("report.input-format", "--now advances a ledger; a table has none", path)
        return from_table(engine, read_table(path), input=path, **period)
    if kind == "store":
        ledger, notes = open_store(engine, path, args.now), list[str]()
        if args.now:
            ledger.advance(args.now)
    else:
        ledger, notes = _events_ledger(engine, path, args.now)
    try:
        return from_ledger(engine, ledger, source=kind, input=path, notes=notes, **period)
    finally:
        ledger.close()


def cmd_report(engine: Engine, path: str, args: argparse.Namespace) -> int:
    data = build(engine, path, args)
    if args.format == "json":
        text = data.to_json() + "\n"
    else:
        try:
            text = render_html(data)
        except ImportError as exc:  # the report extra (matplotlib) is not installed
            raise error(
                "report.needs-extra",
                f"charts need matplotlib ({exc})",
                path,
                hint="pip install 'svcrules[report]'",
            ) from None
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"report of {path} -> {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run(args: argparse.Namespace) -> int:
    """``svcrules report``: the arguments checked, the packs loaded, then ``cmd_report``."""
    packs = list(args.args)
    if len(packs) < 2:
        return _usage("report needs at least one PACK and an INPUT (events, store or table)")
    path = packs.pop()
    params = parse_params(args.param)
    if isinstance(params, str):
        return _usage(params)
    if args.period and (args.first or args.last):
        return _usage("give --period or --from/--to, not both")
    engine = Engine(packs, edition=args.edition, params=params)
    return cmd_report(engine, path, args)
