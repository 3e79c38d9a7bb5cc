"""svcrules: evaluate service events against declarative policy packs.

Public API re-exports only; see docs/ and the design in ``shared/design/api.md``. Names load on
first use (PEP 562), so ``import svcrules`` costs next to nothing and pydantic, PyYAML and the
``holidays`` data load only when a pack is read or a calendar built; type checkers and IDEs
see the imports in the ``TYPE_CHECKING`` block.
"""

# Not `typing.TYPE_CHECKING`: importing typing alone would be most of the import's cost. Type
# checkers treat any name TYPE_CHECKING as true; it is deleted below to keep the namespace clean.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from svcrules.calendars import Calendar, calendar
    from svcrules.compile import CompiledPack, CompiledRule
    from svcrules.diagnostics import Diagnostic
    from svcrules.engine import Engine
    from svcrules.errors import EventError, PackError, PackNotFoundError, SvcrulesError
    from svcrules.ledger import Ledger
    from svcrules.pack import PackInfo, list_packs, load_pack
    from svcrules.pack.schema import Pack
    from svcrules.runtime import (
        Cite,
        ClockSignal,
        Deadline,
        Decision,
        Deduction,
        Escalation,
        Explanation,
        Rejection,
        Violation,
    )
    from svcrules.runtime.events import Event
    from svcrules.runtime.kpis import KpiValue

del TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Calendar",
    "Cite",
    "ClockSignal",
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
    "KpiValue",
    "Ledger",
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

# Where each public name lives: the module imported the first time the name is asked for.
_HOME: dict[str, str] = {
    "Calendar": "svcrules.calendars",
    "Cite": "svcrules.runtime",
    "ClockSignal": "svcrules.runtime",
    "CompiledPack": "svcrules.compile",
    "CompiledRule": "svcrules.compile",
    "Deadline": "svcrules.runtime",
    "Decision": "svcrules.runtime",
    "Deduction": "svcrules.runtime",
    "Diagnostic": "svcrules.diagnostics",
    "Engine": "svcrules.engine",
    "Escalation": "svcrules.runtime",
    "Event": "svcrules.runtime.events",
    "EventError": "svcrules.errors",
    "Explanation": "svcrules.runtime",
    "KpiValue": "svcrules.runtime.kpis",
    "Ledger": "svcrules.ledger",
    "Pack": "svcrules.pack.schema",
    "PackError": "svcrules.errors",
    "PackInfo": "svcrules.pack",
    "PackNotFoundError": "svcrules.errors",
    "Rejection": "svcrules.runtime",
    "SvcrulesError": "svcrules.errors",
    "Violation": "svcrules.runtime",
    "calendar": "svcrules.calendars",
    "list_packs": "svcrules.pack",
    "load_pack": "svcrules.pack",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'svcrules' has no attribute {name!r}")
    # __import__ with a fromlist returns the submodule itself (and spares importing importlib).
    value: object = getattr(__import__(home, fromlist=[name]), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
