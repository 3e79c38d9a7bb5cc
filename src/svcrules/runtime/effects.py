"""Runtime: what every rule's effect callable shares: the rule's metadata (``RuleMeta``) and the
mapping of a failing rule to an ``EventError``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from svcrules.errors import EventError
from svcrules.runtime.results import (
    Cite,
    Severity,
)


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What every outcome of a rule names: the rule, its cite, its pack and severity."""

    rule: str
    cite: Cite
    pack: str
    pack_version: str
    severity: Severity
    title: str | None = None


EVAL_ERRORS = (TypeError, ArithmeticError, LookupError, ValueError, AttributeError)
"""What a rule's expressions or effect may raise on a bad event; turned into an ``EventError``."""


def rule_failed(
    e: Mapping[str, Any], rule: str, exc: Exception, fields: tuple[str, ...] = ()
) -> EventError:
    """The error for a rule that raised on an event: a missing optional field the rule reads
    (the usual cause) is named as such, anything else is an evaluation error."""
    from dataclasses import replace

    from svcrules.diagnostics import Diagnostic
    from svcrules.errors import SvcrulesError

    if isinstance(exc, SvcrulesError):  # a calendar's own error keeps its code
        return EventError(replace(d, rule=rule) for d in exc.diagnostics)
    missing = [f for f in fields if e.get(f) is None]
    if missing and isinstance(exc, TypeError | ValueError):
        return EventError(
            Diagnostic(
                "event.missing-field",
                f"`{e.get('type')}` event has no `{name}`, which rule {rule!r} needs here",
                f"$.{name}",
                rule=rule,
            )
            for name in missing
        )
    return EventError(
        [
            Diagnostic(
                "event.eval-error",
                f"rule {rule!r} could not be evaluated on this event: {type(exc).__name__}: {exc}",
                path="$",
                rule=rule,
                hint="check the event's field values against the pack's vocabulary",
            )
        ]
    )
