"""Pack: the semantic checks of the ``kpis:`` section (``schema.KpiSpec``): the clocks, rules
and scorecards a KPI names, its target and its period. The compiler turns each spec into a
``runtime.kpis.KpiPlan``; docs/kpis.md defines each kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal

from svcrules.diagnostics import Diagnostic, join_path
from svcrules.pack.kpispec import BadTarget, KpiSpec
from svcrules.pack.schema import PackSpec
from svcrules.runtime.kpis import OPS, WIDER

RATIOS = ("on_time", "share")


def check_kpis(spec: PackSpec) -> Iterator[Diagnostic]:
    """Located problems of the ``kpis:`` section: duplicate ids, missing or unknown clocks,
    rules and scorecards, a bad target, a period the scorecard does not have."""
    clocks = {r.deadline.clock for r in spec.rules if r.deadline and r.deadline.action == "start"}
    rules = {r.id for r in spec.rules}
    seen = Counter(k.id for k in spec.kpis)
    for i, kpi in enumerate(spec.kpis):
        path = join_path("$.kpis", i)
        if seen[kpi.id] > 1:
            yield Diagnostic("kpi.duplicate-id", f"KPI id {kpi.id!r} is used twice", path)
        yield from _check_refs(spec, kpi, path, clocks, rules)
        yield from _check_target(kpi, path)
        if spec.sources and kpi.cite.doc not in spec.sources:
            yield Diagnostic(
                "ref.source",
                f"cite.doc {kpi.cite.doc!r} is not listed in `sources`",
                join_path(path, "cite", "doc"),
                hint=", ".join(sorted(spec.sources)),
            )


def _check_refs(
    spec: PackSpec, kpi: KpiSpec, path: str, clocks: set[str], rules: set[str]
) -> Iterator[Diagnostic]:
    needs_clock = kpi.kind in RATIOS
    if needs_clock and not kpi.clocks:
        yield Diagnostic("kpi.missing-field", f"a `{kpi.kind}` KPI names its `clock`", path)
    for j, clock in enumerate(kpi.clocks):
        if clock not in clocks:
            where = (
                join_path(path, "clock")
                if isinstance(kpi.clock, str)
                else join_path(path, "clock", j)
            )
            yield Diagnostic(
                "kpi.unknown-clock",
                f"no rule starts a clock {clock!r}",
                where,
                hint=", ".join(sorted(clocks)) or None,
            )
    for j, rule in enumerate(kpi.rules):
        if rule not in rules:
            yield Diagnostic(
                "kpi.unknown-rule", f"no rule {rule!r} in this pack", join_path(path, "rules", j)
            )
    if kpi.kind == "count" and kpi.outcome is None:
        yield Diagnostic("kpi.missing-field", "a `count` KPI names its `outcome`", path)
    if kpi.kind == "average_score":
        card = spec.scorecards.get(kpi.scorecard or "")
        if card is None:
            yield Diagnostic(
                "kpi.unknown-scorecard",
                f"no scorecard {kpi.scorecard!r} in this pack",
                join_path(path, "scorecard"),
                hint=", ".join(sorted(spec.scorecards)) or None,
            )
        elif card.period != kpi.period and kpi.period not in WIDER.get(card.period, ()):
            longer = "".join(f" or {p}" for p in WIDER.get(card.period, ()))
            yield Diagnostic(
                "kpi.bad-period",
                f"scorecard {kpi.scorecard!r} is kept by {card.period}, the KPI by {kpi.period}: "
                f"not made of whole {card.period}s",
                join_path(path, "period"),
                hint=f"an average_score KPI has its scorecard's period, {card.period}{longer}",
            )


def _check_target(kpi: KpiSpec, path: str) -> Iterator[Diagnostic]:
    if kpi.target is None:
        return
    where = join_path(path, "target")
    if isinstance(kpi.target, BadTarget) and isinstance(kpi.target.data, Mapping):
        yield _bad_mapping(kpi.target.data, where)
        return
    goal = kpi.goal
    if goal is None:
        written = kpi.target.data if isinstance(kpi.target, BadTarget) else kpi.target
        yield Diagnostic(
            "kpi.bad-target",
            f"target {_written(written)} is not an operator and a number",
            where,
            hint=TARGET_HINT,
        )
    elif kpi.kind in RATIOS and not Decimal(0) <= goal[1] <= Decimal(1):
        yield Diagnostic(
            "kpi.bad-target",
            f"a {kpi.kind} KPI is a ratio 0..1, the target is {goal[1]}",
            where if isinstance(kpi.target, str) else join_path(where, "value"),
            hint="write 95 % as 0.95",
        )


TARGET_HINT = "e.g. '>= 0.95' or {op: '>=', value: 0.95}"


def _bad_mapping(data: Mapping[object, object], where: str) -> Diagnostic:
    """What is wrong with a ``target`` mapping the schema refused, at the key it concerns."""
    ops = ", ".join(OPS)
    extra = sorted({str(k) for k in data} - {"op", "value"})
    if extra:
        return Diagnostic(
            "kpi.bad-target",
            f"a target has the keys op and value, not {', '.join(map(repr, extra))}",
            join_path(where, extra[0]),
            hint=TARGET_HINT,
        )
    for key in ("op", "value"):
        if key not in data:
            return Diagnostic(
                "kpi.bad-target", f"the target has no {key!r}", where, hint=TARGET_HINT
            )
    if not isinstance(data["op"], str) or data["op"] not in OPS:
        return Diagnostic(
            "kpi.bad-target",
            f"target op {_written(data['op'])} is not a comparison",
            join_path(where, "op"),
            hint=f"one of {ops}",
        )
    return Diagnostic(
        "kpi.bad-target",
        f"target value {_written(data['value'])} is not a number",
        join_path(where, "value"),
        hint="an exact decimal, e.g. 0.95 (a ratio as a fraction 0..1) or 80",
    )


def _written(value: object) -> str:
    """A value as the pack wrote it (the loader reads numbers as exact decimals)."""
    return str(value) if isinstance(value, Decimal) else repr(value)
