"""Testing: the case-file format: pydantic models of a case and what it expects, and the located
``case.*`` diagnostics for its mistakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationError

from svcrules.diagnostics import Diagnostic, did_you_mean, join_path
from svcrules.effects.base import Spec
from svcrules.hints import HINTS
from svcrules.pack.pyerrors import pydantic_diagnostics
from svcrules.runtime.results import Deadline, Deduction, Escalation, Violation

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


class KpiExpectSpec(Spec):
    """A ledger case's expected KPI value (``Ledger.kpis(period)``); only the keys given are
    compared, numbers as values (``value`` to as many decimal places as written)."""

    kpi: str = Field(description="The KPI's id")
    period: str = Field(description="The period's label, e.g. 2024-05, 2024-Q2, 2024")
    pack: str | None = Field(default=None, description="The KPI's pack (if several)")
    value: Decimal | None = Field(
        default=None, description="The value ('0.875'; null when the denominator is 0)"
    )
    numerator: int | None = Field(default=None, description="Met clocks, outcomes counted ...")
    denominator: int | None = Field(default=None, description="Closed clocks, subjects ...")
    met: bool | None = Field(default=None, description="Whether the target was reached")
    target: Decimal | None = Field(default=None, description="The KPI's target value")


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
    kpis: list[KpiExpectSpec] | None = Field(
        default=None, description="Ledger cases: KPI values over a period"
    )


class CaseSpec(Spec):
    """One case: ``event`` (stateless) or ``events`` and/or ``stream`` (+ ``now``: a ledger
    case), and ``expect`` or ``expect_error``."""

    name: str = Field(min_length=1, description="What the case shows; its id in reports")
    description: str | None = Field(default=None, description="Free text")
    edition: str | None = Field(default=None, description="Edition (default: the pack's)")
    params: dict[str, Any] = Field(default_factory=dict, description="Param overrides")
    event: dict[str, Any] | None = Field(default=None, description="The one event evaluated")
    events: list[dict[str, Any]] | None = Field(
        default=None, description="A ledger case: events applied in this order"
    )
    stream: str | None = Field(
        default=None,
        description="A ledger case: a JSON Lines file of events (path relative to the case "
        "file), applied before `events`; only the kinds `expect` lists are compared",
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
    for model in (CaseSpec, ExpectSpec, ExpectErrorSpec, ScoreSpec, KpiExpectSpec, CaseFileSpec)
    for name in model.model_fields
) | frozenset().union(*ITEM_KEYS.values())


def _shape_problems(spec: CaseSpec, path: str) -> list[Diagnostic]:
    """Parts of a case that do not go together (one event or a sequence; outcomes or an
    error; ``now``, ``scores`` and ``kpis`` only for a sequence)."""
    out: list[Diagnostic] = []
    ledger = spec.events is not None or spec.stream is not None
    if (spec.event is None) != ledger:
        out.append(
            Diagnostic(
                "case.shape",
                "a case gives exactly one of `event` (one event) and `events` or `stream` (a "
                "ledger case)",
                path,
            )
        )
    if spec.expect is not None and spec.expect_error is not None:
        out.append(Diagnostic("case.shape", "a case expects outcomes or an error, not both", path))
    if not ledger and spec.now is not None:
        out.append(
            Diagnostic(
                "case.shape", "`now` applies to a ledger case (`events`)", join_path(path, "now")
            )
        )
    for key in ("scores", "kpis"):
        if not ledger and spec.expect is not None and getattr(spec.expect, key) is not None:
            out.append(
                Diagnostic(
                    "case.shape",
                    f"`{key}` are a ledger's: give `events` or `stream`",
                    join_path(path, "expect", key),
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
            hint = None if d.hint == HINTS.get(d.code) else d.hint  # the case code's own, then
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
