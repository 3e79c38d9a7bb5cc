"""Command line: ``--fields`` and ``--compact``: which keys of each outcome the JSON output of
``svcrules eval`` keeps (the explanations and full cites are most of its bytes)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields

from svcrules.diagnostics import JSONObject, JSONValue
from svcrules.runtime import ClockSignal, Deadline, Deduction, Escalation, Violation

OUTCOME_LISTS = ("deadlines", "deductions", "escalations", "violations", "signals", "retracted")
"""The keys of a decision that hold outcomes."""

OUTCOME_FIELDS = frozenset(
    ["kind"]
    + [
        f.name
        for cls in (Deadline, Deduction, Escalation, Violation, ClockSignal)
        for f in fields(cls)
    ]
)
"""Every key an outcome can have in JSON: what ``--fields`` may name."""

COMPACT_CITE = ("doc", "article", "line")
"""What ``--compact`` keeps of a cite: enough to find the clause, not its title and text."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What JSON output keeps of each outcome: ``keep`` (None: every key) and ``compact``."""

    keep: frozenset[str] | None = None
    compact: bool = False

    @property
    def whole(self) -> bool:
        return self.keep is None and not self.compact

    def decision(self, data: JSONObject) -> JSONObject:
        """A decision's JSON with each outcome shaped; its other keys (and rejections) as is."""
        if self.whole:
            return data
        out = dict(data)
        for key in OUTCOME_LISTS:
            items = data.get(key)
            if isinstance(items, list):
                out[key] = [self.outcome(x) if isinstance(x, dict) else x for x in items]
        return out

    def outcome(self, data: JSONObject) -> JSONObject:
        if self.whole:
            return data
        out: JSONObject = {}
        for key, value in data.items():
            if self.keep is not None and key != "kind" and key not in self.keep:
                continue
            if self.compact and key == "explain" and self.keep is None:
                continue
            out[key] = _short_cite(value) if self.compact and key == "cite" else value
        return out


def _short_cite(value: JSONValue) -> JSONValue:
    if not isinstance(value, dict):
        return value
    return {k: value[k] for k in COMPACT_CITE if k in value}


def parse_shape(fields_arg: str | None, compact: bool) -> Shape | str:
    """The shape from ``--fields a,b,c`` and ``--compact``, or the usage error."""
    if fields_arg is None:
        return Shape(None, compact)
    names = [n.strip() for n in fields_arg.split(",") if n.strip()]
    if not names:
        return "--fields needs at least one field name, e.g. --fields rule,due,status"
    for name in names:
        if name not in OUTCOME_FIELDS:
            close = difflib.get_close_matches(name, sorted(OUTCOME_FIELDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(OUTCOME_FIELDS))
            return f"--fields: no outcome has a field {name!r}{hint}; known: {known}"
    return Shape(frozenset(names), compact)
