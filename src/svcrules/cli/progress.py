"""Command line: the progress bar of ``svcrules eval`` (events done, total, rate, ETA) on standard
error, drawn by ``tqdm``; shown only on a terminal unless asked for.

``tqdm`` is a core dependency (small, pure Python, no dependencies of its own) but imported only
when a bar is shown; without it the run is silent, as when piped.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import TYPE_CHECKING, Never

if TYPE_CHECKING:
    from tqdm import tqdm

COUNT_LIMIT = 1 << 30
"""Files up to this size have their lines counted first (about a second per GiB) so that the bar
has a total and an ETA; a larger file, or standard input, shows the count and rate only."""

DELAY = 0.5
"""Seconds before the bar first shows: a short run prints nothing extra."""


class Progress:
    """Events done so far, as a bar on standard error; a no-op when disabled."""

    def __init__(self, bar: tqdm[Never] | None) -> None:
        self.bar = bar
        # stdout on the same terminal: each output line clears the bar and redraws it after
        self.shared = bar is not None and _same_terminal()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def emit(self, text: str) -> None:
        """Print ``text`` (a line, or several) on standard output, keeping the bar intact."""
        if self.shared and self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def start(events_path: str | None, wanted: bool | None) -> Progress:
    """The bar for reading ``events_path`` (``None`` or ``-``: standard input). ``wanted`` is
    ``--progress`` (True), ``--no-progress`` (False) or neither (None: only on a terminal)."""
    if wanted is False or (wanted is None and not _isatty(sys.stderr)):
        return Progress(None)
    try:
        from tqdm import tqdm
    except ImportError:  # a core dependency: silence if it was removed all the same
        return Progress(None)
    bar: tqdm[Never] = tqdm(
        total=count_lines(events_path),
        desc="eval",
        unit=" events",
        unit_scale=True,
        file=sys.stderr,
        delay=DELAY,
        leave=False,
        dynamic_ncols=True,
    )
    return Progress(bar)


def count_lines(path: str | None) -> int | None:
    """Lines in the events (the bar's total) when they are a regular file of at most
    COUNT_LIMIT bytes, standard input redirected from one included (``- < events.jsonl``, counted
    from its current offset without moving it); else None."""
    try:
        if path is None or path == "-":
            fd = sys.stdin.fileno()
            return _count(fd, os.lseek(fd, 0, os.SEEK_CUR))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
        try:
            return _count(fd, 0)
        finally:
            os.close(fd)
    except (OSError, ValueError, AttributeError):
        return None  # not a file (a pipe, a terminal, a test's stand-in stream)


def _count(fd: int, start: int) -> int | None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size - start > COUNT_LIMIT:
        return None
    n, last, offset = 0, b"\n", start
    while chunk := os.pread(fd, 1 << 20, offset):
        n += chunk.count(b"\n")
        last = chunk[-1:]
        offset += len(chunk)
    return n + (last != b"\n")


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _same_terminal() -> bool:
    if not (_isatty(sys.stdout) and _isatty(sys.stderr)):
        return False
    try:
        return os.ttyname(sys.stdout.fileno()) == os.ttyname(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return True  # both terminals, names unknown: assume one screen
