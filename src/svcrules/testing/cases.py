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
scorecard, score, at}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.effects.base import Spec
from svcrules.engine import Engine, _decision
from svcrules.errors import EventError, PackError
from svcrules.pack import load_pack
from svcrules.pack.pyerrors import pydantic_diagnostics
from svcrules.pack.schema import Pack
from svcrules.pack.sources import read_file
from svcrules.runtime.results import Deadline, Decision, Deduction, Escalation, Violation

KINDS = ("deadlines", "deductions", "escalations", "violations", "warnings")
CASE_SUFFIXES = (".yaml", ".yml", ".json", ".toml")

ITEM_KEYS: dict[str, frozenset[str]] = {
    kind: frozenset(f.name for f in dataclasses.fields(cls)) | {"kind"}
    for kind, cls in (
        ("deadlines", Deadline),
        ("deductions", Deduction),
        ("escalations", Escalation),
        ("violations", Violation),
    )
}
"""The keys an expected item of each kind may give: those of the result's JSON form."""


class ExpectErrorSpec(Spec):
    """The event (or one of the events) is rejected with this diagnostic."""

    code: str = Field(description="Diagnostic code, e.g. event.naive-time")
    path: str | None = Field(default=None, description="JSON path into the event, e.g. $.at")


class ScoreSpec(Spec):
    """A ledger case's expected score: ``Ledger.score(subject, scorecard, at)``."""

    subject: str | int = Field(description="Whose score")
    scorecard: str | None = Field(default=None, description="Which scorecard (if several)")
    score: int | Decimal = Field(description="The expected score")
    at: dt.datetime | str | None = Field(default=None, description="The instant of the score")


class ExpectSpec(Spec):
    """What the case expects. A listed kind must match exactly; an unlisted kind must be empty
    (``warnings`` and ``signals`` are compared only when listed)."""

    deadlines: list[dict[str, Any]] | None = Field(
        default=None, description="Deadlines (stateless) or clocks as they stand (ledger)"
    )
    deductions: list[dict[str, Any]] | None = Field(default=None, description="Deductions")
    escalations: list[dict[str, Any]] | None = Field(default=None, description="Escalations")
    violations: list[dict[str, Any]] | None = Field(default=None, description="Violations")
    warnings: list[str] | None = Field(
        default=None, description="Warnings; each matches one that contains it"
    )
    signals: list[str] | None = Field(
        default=None, description="Clock signals as 'ACTION CLOCK', e.g. 'stop arrival'"
    )
    scores: list[ScoreSpec] | None = Field(default=None, description="Ledger cases: scores")


class CaseSpec(Spec):
    """One case: ``event`` (stateless) or ``events`` (+ ``now``: a ledger case), and ``expect``
    or ``expect_error``."""

    name: str = Field(min_length=1, description="What the case shows; its id in reports")
    description: str | None = Field(default=None, description="Free text")
    edition: str | None = Field(default=None, description="Edition (default: the pack's)")
    params: dict[str, Any] = Field(default_factory=dict, description="Param overrides")
    event: dict[str, Any] | None = Field(default=None, description="The one event evaluated")
    events: list[dict[str, Any]] | None = Field(
        default=None, description="A ledger case: events applied in this order"
    )
    now: dt.datetime | str | None = Field(
        default=None, description="A ledger case: the instant the ledger advances to at the end"
    )
    expect: ExpectSpec | None = Field(default=None, description="The expected outcomes")
    expect_error: ExpectErrorSpec | None = Field(default=None, description="The expected rejection")


class CaseFileSpec(Spec):
    """A case file: ``cases/*.yaml`` beside a pack."""

    cases: list[Any] = Field(description="The cases (each validated on its own)")


VOCABULARY: frozenset[str] = frozenset(
    name
    for model in (CaseSpec, ExpectSpec, ExpectErrorSpec, ScoreSpec, CaseFileSpec)
    for name in model.model_fields
) | frozenset().union(*ITEM_KEYS.values())


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


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


def _shape_problems(spec: CaseSpec, path: str) -> list[Diagnostic]:
    """Parts of a case that do not go together (one event or a sequence; outcomes or an
    error; ``now`` and ``scores`` only for a sequence)."""
    out: list[Diagnostic] = []
    if (spec.event is None) == (spec.events is None):
        out.append(
            Diagnostic(
                "case.shape",
                "a case gives exactly one of `event` (one event) and `events` (a ledger case)",
                path,
            )
        )
    if spec.expect is not None and spec.expect_error is not None:
        out.append(Diagnostic("case.shape", "a case expects outcomes or an error, not both", path))
    if spec.events is None and spec.now is not None:
        out.append(
            Diagnostic(
                "case.shape", "`now` applies to a ledger case (`events`)", join_path(path, "now")
            )
        )
    if spec.events is None and spec.expect is not None and spec.expect.scores is not None:
        out.append(
            Diagnostic(
                "case.shape",
                "`scores` are a ledger's: give `events`",
                join_path(path, "expect", "scores"),
            )
        )
    return out


def validate_case(raw: Any, path: str = "$") -> list[Diagnostic]:
    """Located-path diagnostics (``case.*``) for one case's mistakes; empty if it is valid."""
    if not isinstance(raw, Mapping):
        return [Diagnostic("case.bad-type", "a case is a mapping", path)]
    out: list[Diagnostic] = []
    try:
        spec = CaseSpec.model_validate(raw)
    except ValidationError as exc:
        for d in pydantic_diagnostics(exc, raw):
            code = "case." + d.code.split(".", 1)[1]
            hint = d.hint
            if code == "case.unknown-key":
                hint = did_you_mean(d.path.rsplit(".", 1)[-1], VOCABULARY)
            out.append(dataclasses.replace(d, code=code, path=path + d.path[1:], hint=hint))
        return out
    out.extend(_shape_problems(spec, path))
    expect = raw.get("expect")
    for kind, keys in ITEM_KEYS.items():
        items = expect.get(kind) if isinstance(expect, Mapping) else None
        for j, item in enumerate(items or ()):
            for key in item:
                if key not in keys:
                    out.append(
                        Diagnostic(
                            "case.unknown-key",
                            f"{kind} have no key {str(key)!r}",
                            join_path(path, "expect", kind, j, str(key)),
                            hint=did_you_mean(str(key), keys)
                            or f"known: {', '.join(sorted(keys))}",
                        )
                    )
    return out


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
                problems = _run_case(self.pack, case.data, self.engines, self.fired)
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
    pack: Pack, case: Mapping[str, Any], engines: dict[str, Engine], fired: set[str]
) -> list[str]:
    edition = case.get("edition")
    params = case.get("params") or {}
    key = json.dumps([edition, params], sort_keys=True, default=str)
    if key not in engines:
        engines[key] = Engine(pack, edition=edition, params=params)
    engine = engines[key]
    if case.get("events") is not None:
        return _run_ledger_case(engine, case, fired)
    try:
        event_id, etype, out = engine.raw_outcomes(case["event"])
    except EventError as exc:
        want = case.get("expect_error")
        if not isinstance(want, Mapping):
            return [f"unexpected error: {exc.render()}"]
        return _match_error(exc, want)
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
        want = expect.get(kind) or []
        if kind == "warnings" and expect.get(kind) is None:
            continue
        problems.extend(_match_list(kind, want, got))
    if expect.get("signals") is not None:
        names = sorted(f"{s.action} {s.clock}" for s in decision.signals)
        if sorted(expect["signals"]) != names:
            problems.append(f"signals: expected {sorted(expect['signals'])}, got {names}")
    return problems


def _match_error(exc: EventError, want: Mapping[str, Any]) -> list[str]:
    for d in exc.diagnostics:
        if d.code == want.get("code") and (want.get("path") in (None, d.path)):
            return []
    got = ", ".join(f"{d.code} at {d.path}" for d in exc.diagnostics)
    return [f"expected error {want.get('code')} at {want.get('path') or '(any path)'}, got {got}"]


def _match_list(kind: str, want: Any, got: list[Any]) -> list[str]:
    if len(want) != len(got):
        shown = [_brief(g) for g in got]
        return [f"{kind}: expected {len(want)} item(s), got {len(got)}: {shown}"]
    remaining = list(got)
    problems = []
    for w in want:
        match = next((g for g in remaining if _matches(w, g)), None)
        if match is None:
            diffs = _differences(w, remaining)
            problems.append(f"{kind}: no item matches {w}{diffs}")
        else:
            remaining.remove(match)
    return problems


def _differences(want: Any, got: list[Any]) -> str:
    """The closest actual item, key by key: ``rule: expected 'a', got 'b'``."""
    if not isinstance(want, Mapping) or not got:
        return f"; got {[_brief(g) for g in got]}"
    best = min(
        got,
        key=lambda g: (
            sum(not _same(v, g.get(k)) for k, v in want.items())
            if isinstance(g, Mapping)
            else len(want)
        ),
    )
    if not isinstance(best, Mapping):
        return f"; got {best!r}"
    lines = [
        f"\n      {k}: expected {v!r}, got {best.get(k)!r}"
        for k, v in want.items()
        if not _same(v, best.get(k))
    ]
    return "; closest:" + "".join(lines)


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
    return all(_same(value, got.get(key)) for key, value in want.items())


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal | float):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and "T" in value:
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return t if t.tzinfo is not None else None
    return None


def _same(want: Any, actual: Any) -> bool:
    """Values compared as values: numbers as numbers, instants as instants, dates as dates."""
    if type(want) is type(actual) and want == actual:
        return True
    n, m = _number(want), _number(actual)
    if n is not None and m is not None:
        return n == m
    t, u = _instant(want), _instant(actual)
    if t is not None and u is not None:
        return t == u
    if isinstance(want, dt.date | dt.datetime):
        return bool(want.isoformat() == actual)
    return str(want) == str(actual)


def _run_ledger_case(engine: Engine, case: Mapping[str, Any], fired: set[str]) -> list[str]:
    events = case["events"]
    ledger = engine.ledger()
    try:
        decisions = [ledger.apply(e) for e in events]
        if case.get("now") is not None:
            decisions.append(ledger.advance(case["now"]))
    except EventError as exc:
        want = case.get("expect_error")
        if not isinstance(want, Mapping):
            return [f"unexpected error: {exc.render()}"]
        return _match_error(exc, want)
    if case.get("expect_error") is not None:
        return [f"expected error {case['expect_error']}, but the events were accepted"]
    net = _net_outcomes(decisions)
    for item in net:
        fired.add(item.rule)
    return _ledger_problems(ledger, net, case.get("expect") or {})


def _net_outcomes(decisions: list[Decision]) -> list[Any]:
    """Every outcome reported, less those a later decision retracted."""
    net: list[Any] = []
    for d in decisions:
        net.extend(d.outcomes)
        for item in d.retracted:
            if item in net:
                net.remove(item)
    return net


def _ledger_problems(ledger: Any, net: list[Any], expect: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if expect.get("deadlines") is not None:
        got = [d.to_dict() for d in ledger.deadlines()]
        problems.extend(_match_list("deadlines", expect["deadlines"], got))
    for kind in ("deductions", "escalations", "violations"):
        got = [o.to_dict() for o in net if o.to_dict()["kind"] + "s" == kind]
        problems.extend(_match_list(kind, expect.get(kind) or [], got))
    for want in expect.get("scores") or []:
        score = ledger.score(str(want["subject"]), want.get("scorecard"), want.get("at"))
        if _number(score) != _number(want.get("score")):
            problems.append(f"scores: {want['subject']} has {score}, expected {want.get('score')}")
    return problems
