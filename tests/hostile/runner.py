"""Runs hostile cases, each in a forked child under hard resource limits; one JSON line per case.

``python -m tests.hostile.runner NAME...``: the process imports svcrules and warms it up once,
then forks one child per case. The child caps its address space (RLIMIT_AS) and CPU time
(RLIMIT_CPU) before running the case; the parent kills it past a wall timeout and reads its
peak resident memory from ``wait4``. So each case has limits of its own although the batch
shares one interpreter start-up.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

ADDRESS_SPACE = 1024**3
"""RLIMIT_AS of a case: 1 GiB, hard."""

CPU_SECONDS = 4
"""RLIMIT_CPU of a case (SIGXCPU, then SIGKILL a second later)."""

WALL_SECONDS = 6.0
"""A case still running after this long is killed and reported as a hang."""


def _outcome(fn: Any) -> dict[str, Any]:
    from svcrules import SvcrulesError

    try:
        value = fn()
    except SvcrulesError as exc:
        return {
            "kind": "error",
            "class": type(exc).__name__,
            "codes": list(exc.codes),
            "diagnostics": [d.to_dict() for d in exc.diagnostics],
            "text": exc.render(),
        }
    except BaseException:
        return {"kind": "crash", "traceback": traceback.format_exc(limit=8)}
    return {"kind": "ok", "value": value}


def _child(name: str, write_fd: int) -> None:
    from tests.hostile.corpus import CASES

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    start = time.perf_counter()
    cpu = time.process_time()
    result = _outcome(CASES[name].run)
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu
    data = json.dumps(result, default=repr).encode()
    with os.fdopen(write_fd, "wb") as out:
        out.write(data)


def run_case(name: str) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read_fd)
        code = 0
        try:
            _child(name, write_fd)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + WALL_SECONDS
    os.set_blocking(read_fd, False)
    status, usage, killed = 0, None, False
    while True:
        try:
            chunk = os.read(read_fd, 1 << 16)
            if chunk:
                chunks.append(chunk)
        except BlockingIOError:
            pass
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited == pid:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            killed = True
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.002)
    os.set_blocking(read_fd, True)
    while chunk := os.read(read_fd, 1 << 16):
        chunks.append(chunk)
    os.close(read_fd)
    raw = b"".join(chunks)
    if killed:
        result: dict[str, Any] = {"kind": "hang"}
    elif not raw:
        result = {"kind": "died", "status": status}
    else:
        result = json.loads(raw)
    assert usage is not None
    result["max_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def warm_up() -> None:
    """Import and build what every case shares, so that a case's time is its own."""
    import svcrules
    from tests.hostile import corpus

    corpus.shared_engine()
    svcrules.load_pack({"pack": "warm", "version": "1", "title": "t"})


def main(names: list[str]) -> None:
    warm_up()
    with tempfile.TemporaryDirectory(prefix="svcrules-hostile-") as scratch:
        tempfile.tempdir = scratch  # the cases' files, removed with the batch
        for name in names:
            result = run_case(name)
            result["name"] = name
            print(json.dumps(result, default=repr), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
