"""Errors: what svcrules raises on purpose; each carries the `Diagnostic` values that say where."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from svcrules.diagnostics import Diagnostic


class SvcrulesError(Exception):
    """Base of everything svcrules raises on purpose."""

    diagnostics: tuple[Diagnostic, ...]

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__(self._summary())

    def _summary(self) -> str:
        if not self.diagnostics:
            return self.__class__.__name__
        head = self.diagnostics[0].render()
        more = len(self.diagnostics) - 1
        return head if more == 0 else f"{head}\n(and {more} more problem{'s' * (more > 1)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The default would rebuild the error from its message text; rebuild it from its
        # diagnostics, so that an error (and a Rejection holding it) crosses processes equal.
        return (self.__class__, (self.diagnostics,))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


class PackError(SvcrulesError, ValueError):
    """A pack cannot be used: every problem found is in ``diagnostics``, sorted by location."""


class PackNotFoundError(PackError, LookupError):
    """No built-in pack, plug-in pack or file answers to the name given."""


class EventError(SvcrulesError, ValueError):
    """An event cannot be evaluated: the diagnostics name the JSON path and the rule concerned."""


E = TypeVar("E", bound=SvcrulesError)


def internal_error(kind: type[E], code: str, doing: str, exc: Exception) -> E:
    """The error for a failure of svcrules itself (never the caller's fault), so that even a bug
    reaches the caller as the documented error class, with the original chained."""
    return kind(
        [
            Diagnostic(
                code,
                f"svcrules failed {doing}: {type(exc).__name__}: {exc}",
                hint="this is a bug in svcrules; please report it with the input",
            )
        ]
    )
