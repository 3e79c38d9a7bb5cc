"""CLI: the only module that prints or exits; ``svcrules list|check|eval|test|kpis|report|explain|
schema``.

Exit codes: 0 success, 1 pack, case or event failures, 2 usage errors. Diagnostics print as
``file:line:col: error[code] path: message``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from svcrules import __version__
from svcrules.cli import kpis as kpis_cli
from svcrules.cli import ledger as ledger_cli
from svcrules.cli import progress as progress_cli
from svcrules.cli import report as report_cli
from svcrules.cli.explain import cmd_explain as explain_pack
from svcrules.cli.fields import Shape, parse_shape
from svcrules.cli.helptext import PACK_HELP, add_command
from svcrules.cli.lines import _read_events, parse_params
from svcrules.cli.render import (
    _print_table,
    _printable_lines,
    _render,
    _table_rows,
    _usage,
    printable,
    table_header,
    table_lines,
)
from svcrules.cli.schema import cmd_schema
from svcrules.cli.sniff import Ambiguous, sniff
from svcrules.engine import Engine
from svcrules.errors import EventError, PackError, SvcrulesError
from svcrules.ledger import Ledger
from svcrules.pack import list_packs, load_pack
from svcrules.runtime import Decision, Rejection
from svcrules.testing import run_cases, write_junit

TABLE_CHUNK = 1000
"""`--format table` prints this many rows at a time, column widths computed per chunk, so that
its memory stays flat however long the input."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):
        # a lone surrogate from a pack string must not end the run in UnicodeEncodeError; in
        # JSON output the backslash escape is itself valid JSON
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        return int(args.func(args))
    except SvcrulesError as exc:
        print(_render(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # `svcrules eval ... | head` is normal use
        return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="svcrules",
        description="Evaluate service events against policy packs.",
        epilog="Run `svcrules COMMAND --help` for a command's options and examples.",
    )
    p.add_argument("--version", action="version", version=f"svcrules {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = add_command(sub, "list", "built-in and plug-in packs")
    s.add_argument("--json", action="store_true", help="one JSON object per pack, not a table")
    s.set_defaults(func=cmd_list)

    s = add_command(sub, "check", "load and check packs; print every problem")
    s.add_argument("packs", nargs="+", metavar="PACK", help=PACK_HELP)
    s.set_defaults(func=cmd_check)

    s = add_command(
        sub,
        "eval",
        "evaluate JSON Lines events (a file or - for stdin)",
        usage="%(prog)s PACK... [EVENTS|-] [options]",
    )
    s.add_argument(
        "args",
        nargs="+",
        metavar="PACK... [EVENTS|-]",
        help=f"packs ({PACK_HELP}), then the events file, told from a pack by its content, "
        "or - for standard input (read when no events file is given)",
    )
    s.add_argument("--events", "-e", metavar="FILE", help="the events file (JSON Lines), or -")
    s.add_argument(
        "--edition", metavar="NAME", help="the edition to run in every pack that declares it"
    )
    s.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override a param (repeatable; JSON, else plain text; mappings merge key by key), "
        "e.g. 'arrival_minutes={\"urban\": 30}'",
    )
    s.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: one decision or rejection per line (default); table: one row per outcome",
    )
    s.add_argument(
        "--fields",
        metavar="A,B,C",
        help="JSON output: keep only these keys of each outcome (e.g. rule,due,status)",
    )
    s.add_argument(
        "--compact",
        action="store_true",
        help="JSON output: leave out each outcome's explanation and shorten its cite to "
        "doc, article, line",
    )
    s.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar (events, total, rate, ETA) on standard error; default: only when "
        "standard error is a terminal",
    )
    s.add_argument(
        "--ledger", action="store_true", help="fold the events through a ledger (docs/ledger.md)"
    )
    s.add_argument("--now", metavar="T", help="with --ledger: advance to T after the events")
    s.add_argument("--db", metavar="FILE", help="with --ledger: a durable SQLite ledger store")
    s.add_argument("--parquet", metavar="IN", help="a Parquet file of events (needs --out)")
    s.add_argument("--out", metavar="OUT.parquet", help="with --parquet: the outcome table")
    s.set_defaults(func=cmd_eval)

    report_cli.add_parser(sub)
    sub.choices["report"].set_defaults(func=report_cli.run)

    s = add_command(sub, "test", "run the cases shipped beside packs")
    s.add_argument(
        "packs", nargs="*", metavar="PACK", help=f"{PACK_HELP}; default: every known pack"
    )
    s.add_argument("--verbose", "-v", action="store_true", help="print passing cases too")
    s.add_argument("-k", metavar="PATTERN", help="only cases whose 'PACK NAME' contains PATTERN")
    s.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
    s.add_argument(
        "--fail-under", type=float, metavar="PCT", help="fail if a pack's rule coverage is below"
    )
    s.set_defaults(func=cmd_test)

    kpis_cli.add_parser(sub)

    s = add_command(sub, "explain", "show a pack's compiled rules")
    s.add_argument("pack", metavar="PACK", help=PACK_HELP)
    s.add_argument("--rule", metavar="ID", help="show only this rule (active in the edition)")
    s.add_argument("--edition", metavar="NAME", help="the edition to show (default: the pack's)")
    s.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override a param as eval does; the rules show its effective value",
    )
    s.add_argument("--source", action="store_true", help="also print the generated Python")
    s.set_defaults(func=cmd_explain)

    s = add_command(sub, "schema", "JSON Schema of packs, or of a pack's events")
    s.add_argument(
        "what",
        nargs="?",
        default="pack",
        choices=("pack", "events"),
        help="pack: the pack format (default); events: the events PACK accepts",
    )
    s.add_argument("pack", nargs="?", metavar="PACK", help=f"with events: {PACK_HELP}")
    s.add_argument("--output", "-o", metavar="FILE", help="write the schema to FILE")
    s.set_defaults(func=cmd_schema)
    return p


def cmd_list(args: argparse.Namespace) -> int:
    packs = list_packs()
    if args.json:
        for info in packs:
            print(json.dumps(info.to_dict(), ensure_ascii=False))
        return 0
    rows = [("NAME", "VERSION", "ORIGIN", "TITLE")] + [
        (i.name, i.version, i.origin, i.title) for i in packs
    ]
    _print_table(rows)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.packs:
        try:
            pack = load_pack(name)
            editions: list[str | None] = list(pack.spec.editions) or [None]
            for ed in editions:
                Engine(pack, edition=ed)
        except PackError as exc:
            failed += 1
            print(_render(exc), file=sys.stderr)
            n = len(exc.diagnostics)
            print(f"{printable(name)}: {n} problem{'s' * (n != 1)}", file=sys.stderr)
            continue
        names = ", ".join(pack.spec.editions) or "no editions"
        print(printable(f"{pack.name} {pack.version}: ok ({len(pack.spec.rules)} rules; {names})"))
    return 1 if failed else 0


def _split_eval_args(args: argparse.Namespace) -> tuple[list[str], str | None] | str:
    """The packs and the events file (None: standard input), told apart by content; or the
    usage error."""
    packs = list(args.args)
    events = args.events
    try:
        if events is None and packs and (packs[-1] == "-" or sniff(packs[-1]) == "events"):
            events = packs.pop()
        if events not in (None, "-") and sniff(events) == "pack":
            return f"{events} is a pack, not events (JSON Lines with `type` and `at`)"
        for name in packs:
            if sniff(name) == "events":
                return f"{name} holds events, not a pack: give the events file last or as --events"
    except Ambiguous as exc:
        return f"{exc}; name the events file with --events FILE"
    return packs, events


def cmd_eval(args: argparse.Namespace) -> int:
    split = _split_eval_args(args)
    if isinstance(split, str):
        return _usage(split)
    packs, events_path = split
    if not packs:
        return _usage("eval needs at least one PACK")
    params = parse_params(args.param)
    if isinstance(params, str):
        return _usage(params)
    if (args.now or args.db) and not args.ledger:
        return _usage("--now and --db need --ledger")
    shape = parse_shape(args.fields, args.compact)
    if isinstance(shape, str):
        return _usage(shape)
    if (args.format != "json" or args.parquet) and not shape.whole:
        return _usage("--fields and --compact shape JSON output, not a table or --parquet")
    engine = Engine(packs, edition=args.edition, params=params)
    if args.parquet:
        from svcrules.cli.parquet import cmd_eval_parquet

        return cmd_eval_parquet(engine, args)
    ledger = ledger_cli.open_ledger(engine, args) if args.ledger else None
    stream = _events_stream(events_path)
    if isinstance(stream, str):
        return _usage(stream)
    rows = ledger_cli.table_rows if ledger is not None else _table_rows
    progress = progress_cli.start(events_path, args.progress)
    out = _Output(args.format, rows, len(engine.compiled) > 1, shape, progress.emit)
    counts = {"events": 0, "decisions": 0, "rejections": 0}
    try:
        for index, item in enumerate(_read_events(stream)):
            counts["events"] += 1
            result = _decide(engine, ledger, item, index)
            counts["decisions" if isinstance(result, Decision) else "rejections"] += 1
            out.write(str(index), item, result)
            progress.advance()
    finally:
        progress.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    out.close()
    if ledger is not None:
        _ledger_summary(engine, ledger, args, shape)
    print(
        f"events: {counts['events']}, decisions: {counts['decisions']}, "
        f"rejections: {counts['rejections']}",
        file=sys.stderr,
    )
    return 1 if counts["rejections"] else 0


def _events_stream(events_path: str | None) -> IO[bytes] | str:
    """The events' byte stream (a file, or standard input for ``-``), or the usage error."""
    if events_path is None or events_path == "-":
        if sys.stdin.isatty() and events_path is None:
            return "give an EVENTS file (JSON Lines) or - to read standard input"
        return sys.stdin.buffer
    try:
        return open(events_path, "rb")
    except OSError as exc:
        return f"cannot read {events_path}: {exc.strerror}"


def _decide(engine: Engine, ledger: Ledger | None, item: Any, index: int) -> Decision | Rejection:
    if ledger is not None:
        return ledger_cli.apply(ledger, item, index)
    if isinstance(item, EventError):  # the line itself was bad
        return Rejection(event_id=None, index=index, error=item)
    result = next(iter(engine.evaluate_many([item])))
    if isinstance(result, Rejection):
        return Rejection(event_id=result.event_id, index=index, error=result.error)
    return result


class _Output:
    """Decisions as JSON lines, or as a table printed in chunks (flat memory, escaped text); a
    PACK column when several packs are loaded."""

    def __init__(
        self, fmt: str, rows: Any, with_pack: bool, shape: Shape, emit: Callable[[str], None]
    ) -> None:
        self.json = fmt == "json"
        self.rows = rows
        self.with_pack = with_pack
        self.shape = shape
        self.emit = emit
        self.header: tuple[str, ...] | None = table_header(with_pack)
        self.table: list[tuple[str, ...]] = []

    def write(self, index: str, item: Any, result: Decision | Rejection) -> None:
        if self.json:
            data = result.to_dict()
            if isinstance(result, Decision):
                data = self.shape.decision(data)
            self.emit(json.dumps(data, ensure_ascii=False))
            return
        self.table.extend(self.rows(index, item, result, self.with_pack))
        if len(self.table) >= TABLE_CHUNK:
            self.flush()

    def flush(self) -> None:
        self.emit("\n".join(table_lines([self.header, *self.table] if self.header else self.table)))
        self.header, self.table = None, []

    def close(self) -> None:
        if not self.json and (self.table or self.header):
            self.flush()


def _ledger_summary(engine: Engine, ledger: Ledger, args: argparse.Namespace, shape: Shape) -> None:
    """After the events: ``--now``'s decision, the clocks still open or breached, the scores."""
    try:
        if args.now:
            d = ledger.advance(args.now)
            if args.format == "json":
                data = shape.decision(d.to_dict())
                print(json.dumps({"now": args.now, **data}, ensure_ascii=False))
            else:
                with_pack = len(engine.compiled) > 1
                item = {"type": f"advance {args.now}"}
                now_rows = ledger_cli.table_rows("now", item, d, with_pack)
                _print_table([table_header(with_pack), *now_rows])
        if args.format == "json":
            for line in ledger_cli.summary_json(engine, ledger, shape.outcome):
                print(line)
            return
        for title, head, rows in ledger_cli.summary_tables(engine, ledger):
            print(printable(title))
            chunk: list[tuple[str, ...]] = [head]
            for row in rows:  # streamed like the events' table: flat memory
                chunk.append(row)
                if len(chunk) >= TABLE_CHUNK:
                    _print_table(chunk)
                    chunk = []
            if chunk == [head]:
                print("  (none)")
            elif chunk:
                _print_table(chunk)
    finally:
        ledger.close()


def cmd_test(args: argparse.Namespace) -> int:
    names = args.packs or [i.source for i in list_packs()]
    failed = 0
    total = 0
    reports = []
    under = []
    for name in names:
        report = run_cases(name, select=args.k)
        reports.append(report)
        for r in report.results:
            total += 1
            if not r.ok:
                failed += 1
            if args.verbose or not r.ok:
                print(_printable_lines(r.render()))
        n, m = len(report.rules) - len(report.unexercised), len(report.rules)
        print(printable(f"{report.pack}: {n}/{m} rules exercised ({report.coverage:.1f}%)"))
        if report.unexercised:
            unexercised = ", ".join(report.unexercised)
            print(printable(f"{report.pack}: rules no case exercises: {unexercised}"))
        if args.fail_under is not None and report.coverage < args.fail_under:
            under.append(report.pack)
    if args.junit_xml:
        write_junit(reports, args.junit_xml)
    print(f"{total - failed} passed, {failed} failed")
    if under:
        print(printable(f"coverage below {args.fail_under:g}%: {', '.join(under)}"))
    return 1 if failed or under else 0


def cmd_explain(args: argparse.Namespace) -> int:
    params = parse_params(args.param)
    if isinstance(params, str):
        return _usage(params)
    return explain_pack(args, params)
