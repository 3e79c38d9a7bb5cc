"""Quality gates run with the suite: ruff, mypy --strict, import-linter layers, the public API."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import svcrules

ROOT = Path(__file__).resolve().parent.parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the dev extra (pip install -e '.[dev]')")
    return found


def test_ruff_lint_is_clean() -> None:
    r = _run(_tool("ruff"), "check", "src", "tests", "benchmarks")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_clean() -> None:
    r = _run(_tool("ruff"), "format", "--check", "src", "tests")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_is_clean() -> None:
    r = _run(sys.executable, "-m", "mypy", "--strict", "src/svcrules", "tests")
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_layers_hold() -> None:
    r = _run(_tool("lint-imports"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_all_is_sorted_and_complete() -> None:
    names = svcrules.__all__
    assert list(names) == sorted(names)
    # dir(), not vars(): the package binds its names lazily, on first use (PEP 562).
    public = {n for n in dir(svcrules) if not n.startswith("_")} | {"__version__"}
    modules = {n for n, v in vars(svcrules).items() if type(v) is type(svcrules)}
    assert set(names) == public - modules
    for name in names:
        assert hasattr(svcrules, name)


def test_the_api_contract_names_exist() -> None:
    for name in (
        "load_pack",
        "list_packs",
        "Engine",
        "calendar",
        "Decision",
        "Deadline",
        "Deduction",
        "Escalation",
        "Violation",
        "Rejection",
        "SvcrulesError",
        "PackError",
        "PackNotFoundError",
        "EventError",
        "Diagnostic",
        "__version__",
    ):
        assert name in svcrules.__all__
    assert issubclass(svcrules.PackError, ValueError)
    assert issubclass(svcrules.PackNotFoundError, LookupError)
    assert issubclass(svcrules.EventError, ValueError)


def _signatures(obj: object) -> list[tuple[str, object]]:
    """(parameter or "return", annotation) of a callable; [] when it has no signature."""
    try:
        sig = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    out: list[tuple[str, object]] = [(p.name, p.annotation) for p in sig.parameters.values()]
    return [*out, ("return", sig.return_annotation)]


def test_no_any_in_the_public_signatures() -> None:
    """What other systems code against is typed: no ``Any`` in a signature of ``__all__``."""
    found = []
    for name in svcrules.__all__:
        obj = getattr(svcrules, name)
        members: list[tuple[str, object]] = [(name, obj)]
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                target = value.fget if isinstance(value, property) else value
                if callable(target):
                    members.append((f"{name}.{attr}", target))
        for where, member in members:
            if not callable(member):
                continue
            for param, annotation in _signatures(member):
                if "Any" in str(annotation):
                    found.append(f"{where} {param}: {annotation}")
    assert not found, "\n".join(found)
