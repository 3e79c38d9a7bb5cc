"""CLI: ``svcrules eval PACK EVENTS --ledger [--now T] [--db FILE]``: each event folded through a
ledger (in memory, or durable in ``--db``), its decision printed with statuses, scores and
retractions; then, after ``--now``, the clocks still open or breached and the current scores.

``commands.cmd_eval`` reads, counts and prints; this module opens the ledger, applies one event
and renders what only a ledger says. Tables go through ``render._print_table`` (streamed in
chunks, control characters escaped).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from typing import Any

from svcrules.cli.render import Line, event_rows, rejection_line
from svcrules.diagnostics import JSONObject
from svcrules.engine import Engine
from svcrules.errors import EventError
from svcrules.ledger import Ledger
from svcrules.runtime import DAY_UNITS, Decision, Rejection
from svcrules.runtime.results import Deadline, Deduction, Escalation, Outcome, Violation

SUMMARY_STATUSES = ("open", "paused", "breached")
"""The clocks the closing summary lists: those still needing someone's attention."""


def open_ledger(engine: Engine, args: argparse.Namespace) -> Ledger:
    """The ledger of ``--db FILE`` (created, or reopened and replayed), else in memory."""
    if args.db:
        return engine.ledger(store=args.db)
    return engine.ledger()


def apply(ledger: Ledger, item: Any, index: int) -> Decision | Rejection:
    """One parsed event (or the error of its line) through the ledger."""
    if isinstance(item, EventError):
        return Rejection(event_id=None, index=index, error=item)
    try:
        return ledger.apply(item)
    except EventError as exc:
        event_id = item.get("id") if isinstance(item, dict) else None
        return Rejection(
            event_id=None if event_id is None else str(event_id), index=index, error=exc
        )


def _deadline(dl: Deadline) -> str:
    due = f"{dl.due_date} (end of day)" if dl.unit in DAY_UNITS else dl.due.isoformat()
    late = f" late by {dl.late_by}" if dl.late_by is not None else ""
    return f"deadline {dl.clock} {dl.status} due {due}{late} ({dl.severity}) [{dl.rule}]"


def _outcome(item: Outcome) -> str:
    match item:
        case Deadline():
            return _deadline(item)
        case Deduction():
            score = "" if item.score is None else f" -> score {item.score}"
            return f"deduct {item.points} from {item.subject} ({item.period}){score} [{item.rule}]"
        case Escalation():
            return f"escalate to {item.to} level {item.level} [{item.rule}]"
        case Violation():
            return (
                f"violation {item.message}: {item.observed} vs {item.limit} ({item.severity}) "
                f"[{item.rule}]"
            )
        case _:
            return f"{item.action} clock {item.clock} [{item.rule}]"


def table_rows(
    label: str, item: Any, result: Decision | Rejection, with_pack: bool = False
) -> list[tuple[str, ...]]:
    """Rows of one ledger decision: what it reports, then what it retracts."""
    if isinstance(result, Rejection):
        return event_rows(label, item, result.event_id, [rejection_line(result)], with_pack)
    lines: list[Line] = [(x.pack, _outcome(x)) for x in result.outcomes]
    lines += [(x.pack, f"retracted: {_outcome(x)}") for x in result.retracted]
    lines += [("-", f"warning: {w}") for w in result.warnings]
    return event_rows(label, item, result.event_id, lines, with_pack)  # none: nothing changed


def scores(engine: Engine, ledger: Ledger) -> Iterator[tuple[str, str, int, int]]:
    """``(subject, scorecard, score, base)`` of every subject whose current score is not the
    base, by subject."""
    cards = [
        (name, plan.base)
        for cp in engine.compiled
        if cp.ledger is not None
        for name, plan in cp.ledger.scorecards.items()
    ]
    if not cards:
        return
    subjects = sorted({str(e["subject"]) for e in ledger.accepted_events() if "subject" in e})
    for subject in subjects:
        for name, base in cards:
            score = ledger.score(subject, name)
            if score != base:
                yield subject, name, score, base


def summary_json(
    engine: Engine, ledger: Ledger, shape: Callable[[JSONObject], JSONObject] = lambda d: d
) -> Iterator[str]:
    """One JSON line per clock still open or breached (``shape`` picks its keys), then one per
    score off its base."""
    for dl in ledger.deadlines():
        if dl.status in SUMMARY_STATUSES:
            yield json.dumps({"clock": shape(dl.to_dict())}, ensure_ascii=False)
    for subject, card, score, base in scores(engine, ledger):
        line = {"subject": subject, "scorecard": card, "score": score, "base": base}
        yield json.dumps({"score": line}, ensure_ascii=False)


Section = tuple[str, tuple[str, ...], Iterator[tuple[str, ...]]]


def summary_tables(engine: Engine, ledger: Ledger) -> list[Section]:
    """The same as tables: (title, header, rows), the rows produced lazily."""
    when = ledger.watermark.isoformat() if ledger.watermark else "the last event"
    with_pack = len(engine.compiled) > 1

    def clocks() -> Iterator[tuple[str, ...]]:
        for dl in ledger.deadlines():
            if dl.status in SUMMARY_STATUSES:
                due = f"{dl.due_date} (end of day)" if dl.unit in DAY_UNITS else dl.due.isoformat()
                late = "-" if dl.late_by is None else str(dl.late_by)
                row = (dl.case or "-", dl.clock, dl.status, due, late, dl.rule)
                yield (*row[:-1], dl.pack, dl.rule) if with_pack else row

    def scored() -> Iterator[tuple[str, ...]]:
        for subject, card, score, base in scores(engine, ledger):
            yield (subject, card, str(score), str(base))

    return [
        (
            f"clocks open or breached at {when}:",
            ("CASE", "CLOCK", "STATUS", "DUE", "LATE BY", *("PACK",) * with_pack, "RULE"),
            clocks(),
        ),
        ("scores off their base:", ("SUBJECT", "SCORECARD", "SCORE", "BASE"), scored()),
    ]
