"""Start-up benchmark (target 5): import and pack compilation cost, in fresh interpreters.

Run with ``python benchmarks/bench_startup.py``. Each command runs in a fresh subprocess of the
same interpreter (median of 5 runs, after one untimed warm-up run that fills the OS file cache
and the bytecode caches); every figure is also shown minus bare ``python -c pass``:

- ``import pydantic`` alone (svcrules' heaviest dependency, the target's yardstick);
- ``import svcrules`` (lazy: names load on first use), against ``import pydantic`` in the same
  run, with the target ratio (<= 1.5, both over bare python);
- ``import svcrules.runtime`` (what evaluation needs) and ``from svcrules import Engine``
  (pulls in the pack stage, pydantic and PyYAML), for orientation;
- ``import svcrules`` plus ``Engine(name)`` for every built-in pack (load, check, compile).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from _common import QUICK, ROOT, ROUNDS, info_line, machine, print_table, ratio_line

COMMANDS = (
    ("python -c pass", "pass"),
    ("import pydantic", "import pydantic"),
    ("import svcrules", "import svcrules"),
    ("import svcrules.runtime", "import svcrules.runtime"),
    ("from svcrules import Engine", "from svcrules import Engine"),
    (
        "import svcrules + Engine(each built-in pack)",
        "import svcrules; [svcrules.Engine(p.name) for p in svcrules.list_packs()]",
    ),
)


def run_ms(code: str) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    return (time.perf_counter() - start) * 1e3


def median_ms(code: str, rounds: int) -> float:
    run_ms(code)  # warm-up, untimed
    times = sorted(run_ms(code) for _ in range(rounds))
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def main() -> None:
    packs = subprocess.run(
        [sys.executable, "-c", "import svcrules; print(*[p.name for p in svcrules.list_packs()])"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    ).stdout.split()
    ms = {label: median_ms(code, ROUNDS) for label, code in COMMANDS}
    bare = ms["python -c pass"]
    print(machine())
    print(
        f"fresh subprocesses, median of {ROUNDS} runs after a warm-up"
        + (" (QUICK)" if QUICK else "")
    )
    print(f"built-in packs: {', '.join(packs)} ({len(packs)})")
    print_table(
        "Wall time per command:",
        [
            (label, value, "" if label == "python -c pass" else f"(+{value - bare:.1f} ms)")
            for label, value in ms.items()
        ],
        "ms",
    )
    pyd = ms["import pydantic"] - bare
    imp = ms["import svcrules"] - bare
    full = ms["import svcrules + Engine(each built-in pack)"] - bare
    ratio_line("import svcrules/import pydantic (each over bare python)", imp / pyd, "<= 1.5")
    info_line(
        "import svcrules/import pydantic (wall time)", ms["import svcrules"] / ms["import pydantic"]
    )
    info_line(
        "from svcrules import Engine/import pydantic (each over bare python)",
        (ms["from svcrules import Engine"] - bare) / pyd,
    )
    info_line("import svcrules + packs/import pydantic (each over bare python)", full / pyd)
    print(f"compiling the built-in packs adds {full - imp:.1f} ms to the import")


if __name__ == "__main__":
    main()
