"""Run every benchmark, each in its own fresh interpreter, one after the other.

``python benchmarks/run_all.py`` runs them all; ``python benchmarks/run_all.py bench_startup.py``
runs only the named ones. Set ``SVCRULES_BENCH_QUICK=1`` for a fast smoke run (figures then mean
nothing). Exits non-zero if any benchmark failed; prints every ``RATIO`` line again at the end.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_rule_matching.py",
    "bench_power_grid.py",
    "bench_calendar.py",
    "bench_startup.py",
    "bench_durable_backend.py",
    "bench_phrases.py",
    "bench_ledger.py",
    "bench_dask.py",
    "bench_report_charts.py",
)


def main(argv: list[str]) -> int:
    names = argv or list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
        return 2
    failed: list[str] = []
    summary: list[str] = []
    for name in names:
        print(f"=== {name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / name)], cwd=HERE.parent, capture_output=True, text=True
        )
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        print(f"=== {name}: exit {proc.returncode}, {time.perf_counter() - start:.1f} s\n")
        if proc.returncode:
            failed.append(name)
        summary += [f"{name}: {line}" for line in proc.stdout.splitlines() if "RATIO" in line]
        summary += [
            f"{name}: {line.strip()}"
            for line in proc.stdout.splitlines()
            if "target" in line and "RATIO" not in line
        ]
    print("=== summary")
    print("\n".join(summary))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
