"""Runtime: generated Python source in ``linecache``, so tracebacks, ``inspect`` and
``svcrules explain --source`` show it; named by content and released with its owner.

The compiler's handlers and the events' fast-path validators are both generated. Each source is
registered under ``<svcrules TAG HASH>``: the same source (the same pack compiled twice) shares
one entry, and the entry goes when the last object owning it is collected, so building engines
in a loop does not grow ``linecache``.
"""

from __future__ import annotations

import hashlib
import linecache
import threading
import weakref
from types import CodeType

_live: dict[str, int] = {}
_lock = threading.Lock()


def compile_source(tag: str, source: str) -> tuple[str, CodeType]:
    """The content-hashed file name of ``source`` and its code object."""
    digest = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    filename = f"<svcrules {tag} {digest}>"
    return filename, compile(source, filename, "exec")


def register_source(filename: str, source: str, owner: object) -> None:
    """Put ``source`` in ``linecache`` under ``filename`` for as long as ``owner`` lives."""
    with _lock:
        _live[filename] = _live.get(filename, 0) + 1
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(owner, _release, filename)


def _release(filename: str) -> None:
    with _lock:
        left = _live.get(filename, 0) - 1
        if left > 0:
            _live[filename] = left
            return
        _live.pop(filename, None)
        linecache.cache.pop(filename, None)
