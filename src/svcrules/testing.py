"""Testing: runs the cases shipped beside a pack (``cases/*.yaml``); shared by ``svcrules test``
and pytest, so a pack's author and its CI see the same verdicts.

A case gives one event (optionally an edition and params) and expects outcomes, or an error code
and path. Every outcome kind listed under ``expect`` must match exactly: the same number of items,
each matching one actual item on the keys it gives; kinds not listed must produce nothing.

A ledger case gives ``events`` (a list, applied in that order) and optionally ``now`` (the
ledger then advances to it). ``expect.deadlines`` is matched against the clocks as they stand
(``status``, ``late_by`` in seconds ...); ``escalations``, ``deductions`` and ``violations``
against the net outcomes (reported, less retracted); ``scores`` is a list of ``{subject,
scorecard, score, at}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.engine import Engine, _decision
from svcrules.errors import EventError, PackError
from svcrules.pack import load_pack
from svcrules.pack.schema import Pack
from svcrules.pack.sources import read_file

KINDS = ("deadlines", "deductions", "escalations", "violations", "warnings")


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    file: str
    line: int | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        status = "ok" if self.ok else "FAILED"
        text = f"{where}: {status}: {self.name}"
        return text + "".join(f"\n    {p}" for p in self.problems)


@dataclass(frozen=True, slots=True)
class PackReport:
    pack: str
    results: tuple[CaseResult, ...]
    unexercised: tuple[str, ...] = field(default=())
    """Rules of the pack, in any edition, that no case made fire."""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def case_files(pack: Pack) -> list[Path]:
    if pack.source is None:
        return []
    folder = Path(pack.source).parent / "cases"
    return sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json", ".toml"))


def run_cases(source: str | Path | Pack) -> PackReport:
    """Run every case of a pack. A malformed case file is a failed case, not a crash."""
    pack = load_pack(source)
    engines: dict[str, Engine] = {}
    fired: set[str] = set()
    results: list[CaseResult] = []
    for file in case_files(pack):
        try:
            doc = read_file(file)
        except PackError as exc:
            results.append(CaseResult("(case file)", str(file), None, (exc.render(),)))
            continue
        cases = doc.data.get("cases") if isinstance(doc.data, Mapping) else None
        if not isinstance(cases, list):
            results.append(
                CaseResult("(case file)", str(file), None, ("a case file has a list `cases`",))
            )
            continue
        for i, case in enumerate(cases):
            pos = doc.locate(Diagnostic("x", "", join_path("$.cases", i)))
            name = str(case.get("name", f"case {i}")) if isinstance(case, Mapping) else f"case {i}"
            try:
                problems = _run_case(pack, case, engines, fired)
            except (PackError, EventError) as exc:
                problems = [f"error: {exc.render()}"]
            except Exception as exc:  # a case must never stop the run: report it as failed
                problems = [f"crashed: {type(exc).__name__}: {exc}"]
            results.append(CaseResult(name, str(file), pos.line, tuple(problems)))
    default_rules = [r.id for r in load_pack(pack).spec.rules]
    unexercised = tuple(sorted({r for r in default_rules if r not in fired}))
    return PackReport(pack.name, tuple(results), unexercised)


def _run_case(pack: Pack, case: Any, engines: dict[str, Engine], fired: set[str]) -> list[str]:
    if not isinstance(case, Mapping) or ("event" not in case and "events" not in case):
        return ["a case is a mapping with `event` (or `events`) and `expect` or `expect_error`"]
    edition = case.get("edition")
    params = case.get("params") or {}
    key = json.dumps([edition, params], sort_keys=True, default=str)
    if key not in engines:
        engines[key] = Engine(pack, edition=edition, params=params)
    engine = engines[key]
    if "events" in case:
        return _run_ledger_case(engine, case, fired)
    try:
        event_id, etype, out = engine.raw_outcomes(case["event"])
    except EventError as exc:
        want = case.get("expect_error")
        if not isinstance(want, Mapping):
            return [f"unexpected error: {exc.render()}"]
        return _match_error(exc, want)
    if "expect_error" in case:
        return [f"expected error {case['expect_error']}, but the event was accepted"]
    for item in out:
        fired.add(item.rule)
    decision = _decision(event_id, etype, out)
    actual = decision.to_dict()
    expect = case.get("expect") or {}
    problems: list[str] = []
    for kind in KINDS:
        got = actual[kind]
        want = expect.get(kind, [])
        if kind == "warnings" and kind not in expect:
            continue
        problems.extend(_match_list(kind, want, got))
    if "signals" in expect:
        names = sorted(f"{s.action} {s.clock}" for s in decision.signals)
        if sorted(expect["signals"]) != names:
            problems.append(f"signals: expected {sorted(expect['signals'])}, got {names}")
    return problems


def _match_error(exc: EventError, want: Mapping[str, Any]) -> list[str]:
    for d in exc.diagnostics:
        if d.code == want.get("code") and ("path" not in want or d.path == want["path"]):
            return []
    got = ", ".join(f"{d.code} at {d.path}" for d in exc.diagnostics)
    return [f"expected error {want.get('code')} at {want.get('path', '(any path)')}, got {got}"]


def _match_list(kind: str, want: Any, got: list[Any]) -> list[str]:
    if not isinstance(want, list):
        return [f"{kind}: expected a list"]
    if len(want) != len(got):
        shown = [_brief(g) for g in got]
        return [f"{kind}: expected {len(want)} item(s), got {len(got)}: {shown}"]
    remaining = list(got)
    problems = []
    for w in want:
        match = next((g for g in remaining if _matches(w, g)), None)
        if match is None:
            problems.append(f"{kind}: no item matches {w}; got {[_brief(g) for g in remaining]}")
        else:
            remaining.remove(match)
    return problems


def _brief(item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    keys = ("rule", "clock", "due", "due_date", "severity", "subject", "points", "to", "observed")
    return {k: item[k] for k in keys if k in item and item[k] is not None}


def _matches(want: Any, got: Any) -> bool:
    if isinstance(want, str) and isinstance(got, str):
        return want == got or want in got
    if not isinstance(want, Mapping) or not isinstance(got, Mapping):
        return bool(want == got)
    for key, value in want.items():
        actual = got.get(key)
        if key == "due":
            try:
                if dt.datetime.fromisoformat(str(value)) != dt.datetime.fromisoformat(str(actual)):
                    return False
            except (TypeError, ValueError):
                return False
        elif isinstance(value, dt.date | dt.datetime):
            if value.isoformat() != actual:
                return False
        elif str(value) != str(actual) and value != actual:
            return False
    return True


def _run_ledger_case(engine: Engine, case: Mapping[str, Any], fired: set[str]) -> list[str]:
    events = case["events"]
    if not isinstance(events, list):
        return ["`events` is a list of events"]
    ledger = engine.ledger()
    net: list[Any] = []
    try:
        decisions = [ledger.apply(e) for e in events]
        if case.get("now") is not None:
            decisions.append(ledger.advance(case["now"]))
    except EventError as exc:
        want = case.get("expect_error")
        if not isinstance(want, Mapping):
            return [f"unexpected error: {exc.render()}"]
        return _match_error(exc, want)
    if "expect_error" in case:
        return [f"expected error {case['expect_error']}, but the events were accepted"]
    for d in decisions:
        net.extend(d.outcomes)
        for item in d.retracted:
            if item in net:
                net.remove(item)
    for item in net:
        fired.add(item.rule)
    expect = case.get("expect") or {}
    problems: list[str] = []
    if "deadlines" in expect:
        got = [d.to_dict() for d in ledger.deadlines()]
        problems.extend(_match_list("deadlines", expect["deadlines"], got))
    for kind in ("deductions", "escalations", "violations"):
        got = [o.to_dict() for o in net if o.to_dict()["kind"] + "s" == kind]
        problems.extend(_match_list(kind, expect.get(kind, []), got))
    for want in expect.get("scores", []):
        score = ledger.score(str(want["subject"]), want.get("scorecard"), want.get("at"))
        if score != want.get("score"):
            problems.append(f"scores: {want['subject']} has {score}, expected {want.get('score')}")
    return problems
