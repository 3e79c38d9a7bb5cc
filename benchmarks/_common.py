"""Shared helpers of the benchmarks: timeit-based timing, median of rounds, a printed table.

Only the standard library. ``SVCRULES_BENCH_QUICK=1`` shrinks every scenario to a few hundred
iterations and one or two rounds, so the smoke test can check that a script runs and prints its
ratio lines without caring about its figures.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

QUICK = os.environ.get("SVCRULES_BENCH_QUICK", "") not in ("", "0")
ROUNDS = 2 if QUICK else 5


def scaled(full: int, quick: int) -> int:
    """An iteration count: ``full`` normally, ``quick`` under ``SVCRULES_BENCH_QUICK=1``."""
    return quick if QUICK else full


def per_item_us(
    run: Callable[[Any], object],
    items: int,
    *,
    rounds: int = ROUNDS,
    setup: Callable[[], Any] | None = None,
) -> float:
    """Median over ``rounds`` of one ``run(arg)`` call's time per item, in microseconds.

    ``setup`` (untimed) makes a fresh argument for every round; without it ``run`` gets None.
    Each round is a ``timeit.Timer`` of one call, so the garbage collector is off while timing,
    as ``timeit`` does.
    """
    times = []
    for _ in range(rounds):
        arg = setup() if setup is not None else None
        times.append(timeit.Timer(lambda arg=arg: run(arg)).timeit(number=1))
    return statistics.median(times) / items * 1e6


def median_seconds(run: Callable[[], object], *, rounds: int = ROUNDS) -> float:
    """Median over ``rounds`` of one call of ``run``, in seconds."""
    return statistics.median(timeit.Timer(run).repeat(repeat=rounds, number=1))


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {model}"
        + ("  [QUICK: figures meaningless]" if QUICK else "")
    )


def print_table(title: str, rows: list[tuple[str, float | None, str]], unit: str) -> None:
    """Rows of (label, value or None for skipped, note)."""
    width = max(len(label) for label, _, _ in rows)
    print(title)
    for label, value, note in rows:
        shown = f"{value:10.3f} {unit}" if value is not None else f"{'-':>10} {' ' * len(unit)}"
        print(f"  {label:<{width}}  {shown}  {note}".rstrip())


def ratio_line(name: str, value: float, target: str) -> str:
    """``RATIO name = value (target <= 2) OK`` — the line the smoke test and README look for."""
    op, bound = target.split()
    ok = value <= float(bound) if op == "<=" else value >= float(bound)
    line = f"RATIO {name} = {value:.2f}  (target {target})  {'OK' if ok else 'MISSED'}"
    print(line)
    return line


def info_line(name: str, value: float) -> None:
    """A ratio printed for orientation, with no target."""
    print(f"RATIO {name} = {value:.2f}  (no target)")
