"""CLI: the only module that prints or exits; ``svcrules list|check|eval|test|kpis|report|explain|
schema``.

Exit codes: 0 success, 1 pack, case or event failures, 2 usage errors. Diagnostics print as
``file:line:col: error[code] path: message``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from svcrules import __version__
from svcrules.cli import kpis as kpis_cli
from svcrules.cli import ledger as ledger_cli
from svcrules.cli import report as report_cli
from svcrules.cli.lines import _read_events
from svcrules.cli.render import (
    _print_table,
    _printable_lines,
    _render,
    _table_rows,
    _usage,
    printable,
)
from svcrules.cli.schema import cmd_schema
from svcrules.engine import Engine
from svcrules.errors import EventError, PackError, SvcrulesError
from svcrules.ledger import Ledger
from svcrules.limits import (
    NumberTooLarge,
    json_constant,
    json_float,
    json_int,
)
from svcrules.pack import list_packs, load_pack
from svcrules.runtime import Decision, Rejection
from svcrules.testing import run_cases, write_junit

EVENT_SUFFIXES = (".jsonl", ".ndjson", ".json")


PROGRESS_EVERY = 2000


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
        prog="svcrules", description="Evaluate service events against policy packs."
    )
    p.add_argument("--version", action="version", version=f"svcrules {__version__}")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("list", help="built-in and plug-in packs")
    s.add_argument("--json", action="store_true", help="one JSON object per pack")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("check", help="load and check packs; print every problem")
    s.add_argument("packs", nargs="+", metavar="PACK")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("eval", help="evaluate JSON Lines events (a file or - for stdin)")
    s.add_argument("args", nargs="+", metavar="PACK... [EVENTS|-]")
    s.add_argument("--events", "-e", help="events file (JSON Lines), or - for stdin")
    s.add_argument("--edition")
    s.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override a param, e.g. arrival_minutes='{\"urban\": 30}'",
    )
    s.add_argument("--format", choices=("json", "table"), default="json")
    s.add_argument("--no-progress", action="store_true", help="never show a progress line")
    s.add_argument(
        "--ledger", action="store_true", help="fold the events through a ledger (docs/ledger.md)"
    )
    s.add_argument("--now", metavar="T", help="with --ledger: advance to T after the events")
    s.add_argument("--db", metavar="FILE", help="with --ledger: a durable SQLite ledger store")
    s.add_argument("--parquet", metavar="IN", help="a Parquet file of events (needs --out)")
    s.add_argument("--out", metavar="OUT.parquet", help="with --parquet: the outcome table")
    s.set_defaults(func=cmd_eval)

    report_cli.add_parser(sub)
    sub.choices["report"].set_defaults(func=cmd_report)

    s = sub.add_parser("test", help="run the cases shipped beside packs")
    s.add_argument("packs", nargs="*", metavar="PACK")
    s.add_argument("--verbose", "-v", action="store_true")
    s.add_argument("-k", metavar="PATTERN", help="only cases whose 'PACK NAME' contains PATTERN")
    s.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
    s.add_argument(
        "--fail-under", type=float, metavar="PCT", help="fail if a pack's rule coverage is below"
    )
    s.set_defaults(func=cmd_test)

    kpis_cli.add_parser(sub)

    s = sub.add_parser("explain", help="show a pack's compiled rules")
    s.add_argument("pack", metavar="PACK")
    s.add_argument("--rule")
    s.add_argument("--edition")
    s.add_argument("--source", action="store_true", help="also print the generated Python")
    s.set_defaults(func=cmd_explain)

    s = sub.add_parser("schema", help="JSON Schema of packs, or of a pack's events")
    s.add_argument("what", nargs="?", default="pack", choices=("pack", "events"))
    s.add_argument("pack", nargs="?", metavar="PACK")
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


def _split_eval_args(args: argparse.Namespace) -> tuple[list[str], str | None]:
    packs = list(args.args)
    events = args.events
    if events is None and packs:
        last = packs[-1]
        is_events_file = (
            last.endswith(EVENT_SUFFIXES) and Path(last).is_file() and Path(last).stem != "pack"
        )
        if last == "-" or is_events_file:
            events = packs.pop()
    return packs, events


def cmd_eval(args: argparse.Namespace) -> int:
    packs, events_path = _split_eval_args(args)
    if not packs:
        return _usage("eval needs at least one PACK")
    params = _eval_params(args.param)
    if isinstance(params, str):
        return _usage(params)
    if (args.now or args.db) and not args.ledger:
        return _usage("--now and --db need --ledger")
    engine = Engine(packs, edition=args.edition, params=params)
    if args.parquet:
        from svcrules.cli.parquet import cmd_eval_parquet

        return cmd_eval_parquet(engine, args)
    ledger = ledger_cli.open_ledger(engine, args) if args.ledger else None
    stream = _events_stream(events_path)
    if isinstance(stream, str):
        return _usage(stream)
    out = _Output(args.format, ledger_cli.table_rows if ledger is not None else _table_rows)
    counts = {"events": 0, "decisions": 0, "rejections": 0}
    progress = not args.no_progress and sys.stderr.isatty()
    try:
        for index, item in enumerate(_read_events(stream)):
            counts["events"] += 1
            result = _decide(engine, ledger, item, index)
            counts["decisions" if isinstance(result, Decision) else "rejections"] += 1
            out.write(str(index), item, result)
            if progress and counts["events"] % PROGRESS_EVERY == 0:
                print(f"\r{counts['events']} events ...", end="", file=sys.stderr, flush=True)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if progress and counts["events"] >= PROGRESS_EVERY:
        print("\r", end="", file=sys.stderr)
    out.close()
    if ledger is not None:
        _ledger_summary(engine, ledger, args)
    print(
        f"events: {counts['events']}, decisions: {counts['decisions']}, "
        f"rejections: {counts['rejections']}",
        file=sys.stderr,
    )
    return 1 if counts["rejections"] else 0


def _eval_params(items: Sequence[str]) -> dict[str, Any] | str:
    """``--param NAME=JSON`` values (plain text when not JSON), or the usage error."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            return f"--param takes NAME=JSON, got {item!r}"
        try:
            params[name] = json.loads(
                value, parse_float=json_float, parse_int=json_int, parse_constant=json_constant
            )
        except json.JSONDecodeError:
            params[name] = value
        except NumberTooLarge as exc:
            return f"--param {name}: {exc}"
    return params


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
    """Decisions as JSON lines, or as a table printed in chunks (flat memory, escaped text)."""

    def __init__(self, fmt: str, rows: Any) -> None:
        self.json = fmt == "json"
        self.rows = rows
        self.header: tuple[str, ...] | None = ("#", "EVENT", "TYPE", "OUTCOME")
        self.table: list[tuple[str, ...]] = []

    def write(self, index: str, item: Any, result: Decision | Rejection) -> None:
        if self.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
            return
        self.table.extend(self.rows(index, item, result))
        if len(self.table) >= TABLE_CHUNK:
            self.flush()

    def flush(self) -> None:
        _print_table([self.header, *self.table] if self.header else self.table)
        self.header, self.table = None, []

    def close(self) -> None:
        if not self.json and (self.table or self.header):
            self.flush()


def _ledger_summary(engine: Engine, ledger: Ledger, args: argparse.Namespace) -> None:
    """After the events: ``--now``'s decision, the clocks still open or breached, the scores."""
    try:
        if args.now:
            d = ledger.advance(args.now)
            if args.format == "json":
                print(json.dumps({"now": args.now, **d.to_dict()}, ensure_ascii=False))
            else:
                now_rows = ledger_cli.table_rows("now", {"type": f"advance {args.now}"}, d)
                _print_table([("#", "EVENT", "TYPE", "OUTCOME"), *now_rows])
        if args.format == "json":
            for line in ledger_cli.summary_json(engine, ledger):
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


def cmd_report(args: argparse.Namespace) -> int:
    packs = list(args.args)
    if len(packs) < 2:
        return _usage("report needs at least one PACK and an INPUT (events, store or table)")
    path = packs.pop()
    params = _eval_params(args.param)
    if isinstance(params, str):
        return _usage(params)
    if args.period and (args.first or args.last):
        return _usage("give --period or --from/--to, not both")
    engine = Engine(packs, edition=args.edition, params=params)
    return report_cli.cmd_report(engine, path, args)


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
    engine = Engine(args.pack, edition=args.edition)
    cp = engine.compiled[0]
    pack = engine.packs[0]
    out = printable  # every line echoes pack text: rule ids, expressions, cites, file names
    print(out(f"{cp.name} {cp.version} edition={cp.edition} timezone={cp.timezone.key}"))
    print(out(f"source: {pack.source}   generated: {cp.filename}"))
    shown = 0
    for rule in cp.rules:
        if args.rule and rule.id != args.rule:
            continue
        shown += 1
        print()
        print(out(f"{rule.id}  [{rule.effect}, {rule.severity}]  {rule.location}"))
        print(out(f"  on:    {', '.join(rule.on)}"))
        if rule.when:
            print(out(f"  when:  {rule.when}"))
        print(out(f"  does:  {rule.summary}"))
        print(out(f"  cite:  {rule.cite}"))
        if rule.catalog:
            print(out(f"  implements: {', '.join(rule.catalog)}"))
    if args.rule and not shown:
        active = ", ".join(r.id for r in cp.rules)
        return _usage(out(f"no active rule {args.rule!r} in this edition (active: {active})"))
    if args.source:
        print(out(f"\n# --- generated Python ({cp.filename}) ---"))
        for n, line in enumerate(cp.source.splitlines(), 1):
            rule_id = cp.line_rules.get(n, "")
            print(out(f"{n:4d}  {line:<90} {('# ' + rule_id) if rule_id else ''}".rstrip()))
    return 0
