"""svcrules: evaluate service events against declarative policy packs.

Public API re-exports only; see docs/ and the design in ``shared/design/api.md``.
"""

from svcrules.calendars import Calendar, calendar
from svcrules.compile import CompiledPack, CompiledRule
from svcrules.diagnostics import Diagnostic
from svcrules.engine import Engine
from svcrules.errors import EventError, PackError, PackNotFoundError, SvcrulesError
from svcrules.pack import PackInfo, list_packs, load_pack
from svcrules.pack.schema import Pack
from svcrules.runtime import (
    Cite,
    Deadline,
    Decision,
    Deduction,
    Escalation,
    Explanation,
    Rejection,
    Violation,
)
from svcrules.runtime.events import Event

__version__ = "0.1.0"

__all__ = [
    "Calendar",
    "Cite",
    "CompiledPack",
    "CompiledRule",
    "Deadline",
    "Decision",
    "Deduction",
    "Diagnostic",
    "Engine",
    "Escalation",
    "Event",
    "EventError",
    "Explanation",
    "Pack",
    "PackError",
    "PackInfo",
    "PackNotFoundError",
    "Rejection",
    "SvcrulesError",
    "Violation",
    "__version__",
    "calendar",
    "list_packs",
    "load_pack",
]
