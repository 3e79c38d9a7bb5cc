"""Testing: how a case's expectations are held against what the engine gave: numbers and instants
compared as values, closest-item differences on failure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from svcrules.errors import EventError
from svcrules.runtime.kpis import KpiValue


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


def _match_kpis(want: list[Mapping[str, Any]], got: Sequence[KpiValue]) -> list[str]:
    """Each expected KPI value against the actual one of that KPI and period: the keys given,
    ``value`` rounded to as many decimal places as the case writes."""
    problems = []
    for w in want:
        found = [
            k
            for k in got
            if k.kpi == w.get("kpi")
            and k.period == str(w.get("period"))
            and w.get("pack") in (None, k.pack)
        ]
        if len(found) != 1:
            what = "no" if not found else "more than one (give `pack`)"
            problems.append(f"kpis: {what} KPI {w.get('kpi')!r} over {w.get('period')!r}")
            continue
        actual = found[0].to_dict()
        for key, value in w.items():
            if key in ("kpi", "period", "pack"):
                continue
            have = actual.get(key)
            if not _same_kpi(value, have):
                problems.append(
                    f"kpis: {w['kpi']} {w['period']}: {key} expected {value!r}, got {have!r}"
                )
    return problems


def _same_kpi(want: Any, actual: Any) -> bool:
    if want is None or actual is None or isinstance(want, bool) or isinstance(actual, bool):
        return want is actual or want == actual
    n, m = _number(want), _number(actual)
    if n is None or m is None:
        return False
    places = n.as_tuple().exponent
    if isinstance(places, int) and places < 0:
        return m.quantize(Decimal(1).scaleb(places), rounding=ROUND_HALF_EVEN) == n
    return m == n
