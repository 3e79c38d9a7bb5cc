"""Testing: the case-file format (pydantic models, located diagnostics) and the runner shared by
``svcrules test`` and the pytest plugin, so a pack's author and its CI see the same verdicts.

A case gives one event (optionally an edition and params) and expects outcomes, or an error code
and path. Every outcome kind listed under ``expect`` must match exactly: the same number of items,
each matching one actual item on the keys it gives; kinds not listed must produce nothing.
Numbers are compared as numbers (``0.12`` matches ``0.120``), instants as instants (any offset).

A ledger case gives ``events`` (a list, applied in that order) and optionally ``now`` (the
ledger then advances to it). ``expect.deadlines`` is matched against the clocks as they stand
(``status``, ``late_by`` in seconds ...); ``escalations``, ``deductions`` and ``violations``
against the net outcomes (reported, less retracted); ``scores`` is a list of ``{subject,
scorecard, score, at}``; ``kpis`` a list of ``{kpi, period, value, numerator, denominator,
met}`` (``Ledger.kpis``). A ledger case may read its events from ``stream`` (JSON Lines, relative
to the case file; ``events`` follow it); such a case compares only the kinds it lists.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcrules.diagnostics import Diagnostic, did_you_mean, join_path
from svcrules.engine import Engine, _decision
from svcrules.errors import EventError, PackError
from svcrules.pack import load_pack
from svcrules.pack.schema import Pack
from svcrules.pack.sources import read_file
from svcrules.runtime.results import Decision
from svcrules.testing.match import _match_error, _match_kpis, _match_list, _number
from svcrules.testing.spec import CASE_SUFFIXES, KINDS, validate_case


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    file: str
    line: int | None
    problems: tuple[str, ...]
    seconds: float = 0.0
    """How long the case took."""

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
    """Rules of the pack (default edition) that no case made fire."""
    rules: tuple[str, ...] = field(default=())
    """Every rule of the pack (default edition)."""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def coverage(self) -> float:
        """Percentage of the pack's rules some case made fire (100.0 for a pack without rules)."""
        if not self.rules:
            return 100.0
        return 100.0 * (len(self.rules) - len(self.unexercised)) / len(self.rules)


@dataclass(frozen=True, slots=True)
class LoadedCase:
    """A case read from its file: its name, where it is, and its data (or why it is invalid)."""

    name: str
    file: str
    line: int | None
    data: Mapping[str, Any]
    problems: tuple[Diagnostic, ...] = ()


def case_files(pack: Pack) -> list[Path]:
    if pack.source is None:
        return []
    folder = Path(pack.source).parent / "cases"
    return sorted(p for p in folder.glob("*") if p.suffix in CASE_SUFFIXES)


def load_cases(file: Path) -> Iterator[LoadedCase]:
    """The cases of one file, each validated; a file that is not a case file is one invalid
    case named ``(case file)``."""
    try:
        doc = read_file(file)
    except PackError as exc:
        yield LoadedCase("(case file)", str(file), None, {}, exc.diagnostics)
        return
    data = doc.data
    problems: list[Diagnostic] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
        problems.append(Diagnostic("case.file", "a case file is a mapping with a list `cases`"))
    else:
        for key in data:
            if key != "cases":
                problems.append(
                    Diagnostic(
                        "case.unknown-key",
                        f"unknown key {str(key)!r}",
                        join_path("$", str(key)),
                        hint=did_you_mean(str(key), ["cases"]),
                    )
                )
    if problems:
        yield LoadedCase("(case file)", str(file), None, {}, tuple(doc.locate(d) for d in problems))
        return
    for i, case in enumerate(data["cases"]):
        path = join_path("$.cases", i)
        pos = doc.locate(Diagnostic("x", "", path))
        name = case.get("name") if isinstance(case, Mapping) else None
        name = str(name) if isinstance(name, str) and name else f"case {i}"
        located = tuple(doc.locate(d) for d in validate_case(case, path))
        yield LoadedCase(name, str(file), pos.line, case if not located else {}, located)


class CaseRunner:
    """Runs the cases of one pack, sharing an Engine per (edition, params) and recording which
    rules fired."""

    def __init__(self, source: str | Path | Pack) -> None:
        self.pack = load_pack(source)
        self.engines: dict[str, Engine] = {}
        self.fired: set[str] = set()

    def run(self, case: LoadedCase) -> CaseResult:
        started = time.perf_counter()
        if case.problems:
            problems = [d.render() for d in case.problems]
        else:
            try:
                base = Path(case.file).parent
                problems = _run_case(self.pack, case.data, self.engines, self.fired, base)
            except (PackError, EventError) as exc:
                problems = [f"error: {exc.render()}"]
            except Exception as exc:  # a case must never stop the run: report it as failed
                problems = [f"crashed: {type(exc).__name__}: {exc}"]
        seconds = time.perf_counter() - started
        return CaseResult(case.name, case.file, case.line, tuple(problems), seconds)

    def rules(self) -> tuple[str, ...]:
        return tuple(r.id for r in load_pack(self.pack).spec.rules)


def selected(pack: str, name: str, pattern: str | None) -> bool:
    """``-k PATTERN``: a case-insensitive substring of ``PACK NAME``; ``not X`` excludes."""
    if not pattern:
        return True
    text = f"{pack} {name}".lower()
    pattern = pattern.strip().lower()
    if pattern.startswith("not "):
        return pattern[4:].strip() not in text
    return pattern in text


def run_cases(source: str | Path | Pack, select: str | None = None) -> PackReport:
    """Run every case of a pack (or those ``select`` picks, see ``selected``). A malformed case
    is a failed case, not a crash."""
    runner = CaseRunner(source)
    results = [
        runner.run(case)
        for file in case_files(runner.pack)
        for case in load_cases(file)
        if selected(runner.pack.name, case.name, select)
    ]
    rules = runner.rules()
    unexercised = tuple(sorted({r for r in rules if r not in runner.fired}))
    return PackReport(runner.pack.name, tuple(results), unexercised, rules)


def write_junit(reports: Iterable[PackReport], path: str | Path) -> None:
    """A JUnit XML file: one ``testsuite`` per pack, one ``testcase`` per case."""
    suites = ET.Element("testsuites", name="svcrules")
    for report in reports:
        failures = sum(not r.ok for r in report.results)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report.pack,
            tests=str(len(report.results)),
            failures=str(failures),
            errors="0",
            time=f"{sum(r.seconds for r in report.results):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="coverage", value=f"{report.coverage:.1f}")
        for r in report.results:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=f"{report.pack}.{Path(r.file).stem}",
                name=r.name,
                file=r.file,
                time=f"{r.seconds:.3f}",
            )
            if r.line:
                tc.set("line", str(r.line))
            if not r.ok:
                failure = ET.SubElement(tc, "failure", message=r.problems[0].split("\n")[0])
                failure.text = "\n".join(r.problems)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _run_case(
    pack: Pack,
    case: Mapping[str, Any],
    engines: dict[str, Engine],
    fired: set[str],
    base: Path | None = None,
) -> list[str]:
    edition = case.get("edition")
    params = case.get("params") or {}
    key = json.dumps([edition, params], sort_keys=True, default=str)
    if key not in engines:
        engines[key] = Engine(pack, edition=edition, params=params)
    engine = engines[key]
    if case.get("events") is not None or case.get("stream") is not None:
        return _run_ledger_case(engine, case, fired, base)
    try:
        event_id, etype, out = engine.raw_outcomes(case["event"])
    except EventError as exc:
        return _error_expected(case, exc)
    if case.get("expect_error") is not None:
        return [f"expected error {case['expect_error']}, but the event was accepted"]
    for item in out:
        fired.add(item.rule)
    decision = _decision(event_id, etype, out)
    actual = decision.to_dict()
    expect = case.get("expect") or {}
    problems: list[str] = []
    for kind in KINDS:
        got = actual[kind]
        assert isinstance(got, list)
        want = expect.get(kind) or []
        if kind == "warnings" and expect.get(kind) is None:
            continue
        problems.extend(_match_list(kind, want, got))
    if expect.get("signals") is not None:
        names = sorted(f"{s.action} {s.clock}" for s in decision.signals)
        if sorted(expect["signals"]) != names:
            problems.append(f"signals: expected {sorted(expect['signals'])}, got {names}")
    return problems


def _error_expected(case: Mapping[str, Any], exc: EventError) -> list[str]:
    """What is wrong when evaluating a case's events raised ``exc``: nothing if the case
    expects that error, else how it differs (or that no error was expected)."""
    want = case.get("expect_error")
    if not isinstance(want, Mapping):
        return [f"unexpected error: {exc.render()}"]
    return _match_error(exc, want)


def _run_ledger_case(
    engine: Engine, case: Mapping[str, Any], fired: set[str], base: Path | None
) -> list[str]:
    events = case.get("events") or ()
    stream = case.get("stream")
    ledger = engine.ledger()
    decisions: list[Decision] = []
    if stream is not None:  # as `svcrules ledger` reads it: a rejected line is skipped
        try:
            lines = _read_stream(Path(base or ".", stream))
        except (OSError, ValueError) as exc:
            return [f"stream {stream}: cannot be read: {exc}"]
        decisions = [d for d in ledger.apply_many(lines) if isinstance(d, Decision)]
    try:
        decisions += [ledger.apply(e) for e in events]
        if case.get("now") is not None:
            decisions.append(ledger.advance(case["now"]))
    except EventError as exc:
        return _error_expected(case, exc)
    if case.get("expect_error") is not None:
        return [f"expected error {case['expect_error']}, but the events were accepted"]
    net = _net_outcomes(decisions)
    for item in net:
        fired.add(item.rule)
    return _ledger_problems(ledger, net, case.get("expect") or {}, listed_only=stream is not None)


def _read_stream(path: Path) -> list[Any]:
    """The events of a JSON Lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _net_outcomes(decisions: list[Decision]) -> list[Any]:
    """Every outcome reported, less those a later decision retracted."""
    net: list[Any] = []
    for d in decisions:
        net.extend(d.outcomes)
        for item in d.retracted:
            if item in net:
                net.remove(item)
    return net


def _ledger_problems(
    ledger: Any, net: list[Any], expect: Mapping[str, Any], listed_only: bool = False
) -> list[str]:
    """What differs from ``expect``; with ``listed_only`` (a stream), kinds not listed are not
    required to be empty."""
    problems: list[str] = []
    if expect.get("deadlines") is not None:
        got = [d.to_dict() for d in ledger.deadlines()]
        problems.extend(_match_list("deadlines", expect["deadlines"], got))
    for kind in ("deductions", "escalations", "violations"):
        if listed_only and expect.get(kind) is None:
            continue
        got = [o.to_dict() for o in net if o.to_dict()["kind"] + "s" == kind]
        problems.extend(_match_list(kind, expect.get(kind) or [], got))
    for want in expect.get("scores") or []:
        score = ledger.score(str(want["subject"]), want.get("scorecard"), want.get("at"))
        if _number(score) != _number(want.get("score")):
            problems.append(f"scores: {want['subject']} has {score}, expected {want.get('score')}")
    wanted = expect.get("kpis") or []
    for period in dict.fromkeys(str(w.get("period")) for w in wanted):
        got = ledger.kpis(period)
        problems.extend(_match_kpis([w for w in wanted if str(w.get("period")) == period], got))
    return problems
