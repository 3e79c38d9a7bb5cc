"""Runtime: what compiled packs call and return at event time: result values (``results``),
due-time arithmetic (``due``), what effect callables share (``effects``) and event validation
(``events``). Standard library, dateutil and calendars only: no pydantic, no YAML."""

from svcrules.runtime.due import (
    DAY_UNITS,
    END_OF_DAY,
    due_after,
    due_before,
    end_of_day,
    period_label,
    require_instant,
)
from svcrules.runtime.effects import (
    EVAL_ERRORS,
    RuleMeta,
    rule_failed,
)
from svcrules.runtime.results import (
    Cite,
    ClockSignal,
    Deadline,
    Decision,
    Deduction,
    Escalation,
    Explanation,
    Outcome,
    Rejection,
    Severity,
    Status,
    Violation,
)

__all__ = [
    "DAY_UNITS",
    "END_OF_DAY",
    "EVAL_ERRORS",
    "Cite",
    "ClockSignal",
    "Deadline",
    "Decision",
    "Deduction",
    "Escalation",
    "Explanation",
    "Outcome",
    "Rejection",
    "RuleMeta",
    "Severity",
    "Status",
    "Violation",
    "due_after",
    "due_before",
    "end_of_day",
    "period_label",
    "require_instant",
    "rule_failed",
]
