"""Testing: pack cases (``cases/*.yaml`` beside a pack) as a validated format and a runner shared
by ``svcrules test`` and pytest; a pytest plugin (``svcrules.testing.plugin``) that collects them
with no glue code; hypothesis strategies for a pack's events (``svcrules.testing.strategies``).

``plugin`` and ``strategies`` import pytest and hypothesis; they are not imported here.
"""

from __future__ import annotations

from svcrules.testing.cases import (
    CaseResult,
    CaseRunner,
    PackReport,
    case_files,
    load_cases,
    run_cases,
    write_junit,
)
from svcrules.testing.spec import CaseSpec

__all__ = [
    "CaseResult",
    "CaseRunner",
    "CaseSpec",
    "PackReport",
    "case_files",
    "load_cases",
    "run_cases",
    "write_junit",
]
