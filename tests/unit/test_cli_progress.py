"""``svcrules eval``'s progress bar: on a terminal it shows events done, the total, the rate and
an ETA; piped or redirected, standard error holds only the counts line."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from tests.unit.test_cli import ROOT

from svcrules.cli import commands
from svcrules.cli import progress as progress_cli

TEMPLATE = str(ROOT / "tests" / "template" / "pack.yaml")
"""The docs' template pack: its voltage check runs on every event (and passes), about a fifth
cheaper per event than power-grid's, which keeps 200,000 events under 30 s on a loaded machine."""
LINE = '{"id": "e%d", "type": "voltage.measured", "at": "2024-06-03T21:10:00+08:00", "v": 221}\n'


def _events(path: Path, n: int) -> Path:
    path.write_text("".join(LINE % i for i in range(n)), encoding="utf-8")
    return path


def _run_on_a_terminal(args: list[str], timeout: float) -> tuple[int, str]:
    """Run ``svcrules ARGS`` with standard error on a pseudo-terminal (stdout to /dev/null, as
    in ``svcrules eval ... > out.jsonl``); what the terminal showed, and the exit status."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "svcrules", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=ROOT,
    )
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.wait(timeout=10), shown.decode("utf-8", errors="replace")


def test_eval_of_200000_events_on_a_terminal_shows_total_rate_and_eta(tmp_path: Path) -> None:
    n = 200_000
    events = _events(tmp_path / "events.jsonl", n)
    started = time.monotonic()
    status, shown = _run_on_a_terminal(["eval", TEMPLATE, str(events)], timeout=120)
    elapsed = time.monotonic() - started
    assert status == 0, shown[-2000:]
    frames = [f for f in re.split(r"[\r\n]", shown) if "events/s" in f]
    assert frames, f"no progress frame in {shown[-2000:]!r}"
    # e.g. "eval:  41%|████      | 82.0k/200k [00:04<00:05, 19.9k events/s]"
    bar = re.compile(r"\d+%\|.*\| [\d.]+k?/200k \[\d\d:\d\d<\d\d:\d\d, +[\d.]+k? events/s\]")
    assert any(bar.search(f) for f in frames), frames[-3:]
    assert f"events: {n}, decisions: {n}, rejections: 0" in shown
    assert elapsed < 120


def _run_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], *, tty: bool
) -> tuple[int, str, str]:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    out, err = Stream(), Stream()
    monkeypatch.setattr(progress_cli, "DELAY", 0.0)  # show the bar from the first event
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    events = _events(tmp_path / "events.jsonl", 3000)
    status = commands.main(["eval", TEMPLATE, str(events), *argv])
    return status, out.getvalue(), err.getvalue()


def test_nothing_but_the_counts_on_stderr_when_piped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    status, out, err = _run_in_process(monkeypatch, tmp_path, [], tty=False)
    assert status == 0
    assert err == "events: 3000, decisions: 3000, rejections: 0\n"
    assert len(out.splitlines()) == 3000


def test_progress_switch_forces_the_bar_on_or_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, err = _run_in_process(monkeypatch, tmp_path, ["--progress"], tty=False)
    assert "events/s" in err and "/3.00k" in err
    _, _, err = _run_in_process(monkeypatch, tmp_path, ["--no-progress"], tty=True)
    assert err == "events: 3000, decisions: 3000, rejections: 0\n"


def test_output_on_the_same_terminal_is_not_broken_by_the_bar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    status, out, err = _run_in_process(monkeypatch, tmp_path, ["--compact"], tty=True)
    assert status == 0 and "events/s" in err
    lines = out.splitlines()
    assert len(lines) == 3000
    assert all(json.loads(line)["kind"] == "decision" for line in lines)  # no bar inside


def test_without_tqdm_the_run_is_silent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    status, _, err = _run_in_process(monkeypatch, tmp_path, ["--progress"], tty=True)
    assert status == 0
    assert err == "events: 3000, decisions: 3000, rejections: 0\n"


def test_the_total_is_the_files_line_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"a\nb\n\nc")  # no final newline: still a line
    assert progress_cli.count_lines(str(path)) == 4
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert progress_cli.count_lines(str(fifo)) is None  # neither blocks nor reads the pipe
    with path.open("rb") as f:  # standard input redirected from a file: counted from where it is
        f.seek(2)  # nothing read yet: eval counts before its first read
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(f))
        assert progress_cli.count_lines("-") == 3 and progress_cli.count_lines(None) == 3
        assert f.tell() == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\n"))  # no file behind it
    assert progress_cli.count_lines("-") is None
