"""Command line: tell an events file from a pack by its content, not its name (``svcrules eval
PACK... EVENTS``: a ``.json`` pack and a ``.json`` events file look alike by extension).

An events file is JSON Lines: every line a JSON object with ``type`` and ``at``. A pack is YAML,
TOML or JSON text whose top level has ``pack``/``rules``. Only the head of the file is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from svcrules.pack.sources import FORMATS

Kind = Literal["pack", "events"]

HEAD_BYTES = 1 << 16
"""How much of a file is read to tell what it is."""

HEAD_LINES = 20
"""How many non-blank lines of the head are looked at for an event."""

_PACK_KEY = re.compile(r'^\s*"(pack|rules|events|params|editions|extends)"\s*:', re.M)
"""A top-level key of a pack written as indented (pretty-printed) JSON."""


class Ambiguous(ValueError):
    """The file's head looks like neither an events file nor a pack: the message says why."""


def sniff(path: str) -> Kind | None:
    """``"events"`` or ``"pack"`` for an existing path, ``None`` for anything else (a pack name).

    A directory is a pack; a FIFO or a device (``<(zcat events.gz)``) is events, since it
    cannot be read twice and a pack is only ever a regular file. When the content says neither,
    a file no pack can be read from (not ``.yaml``, ``.yml``, ``.toml``, ``.json``) is events
    (its bad lines are rejected one by one); otherwise :class:`Ambiguous` is raised."""
    p = Path(path)
    try:
        if p.is_dir():
            return "pack"
        if not p.exists():
            return None
        if not p.is_file():
            return "events"
        with p.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None  # left to whoever opens it, with the reason
    try:
        return classify(head, path)
    except Ambiguous:
        if p.suffix.lower() not in FORMATS:
            return "events"  # `.jsonl`, `.ndjson`, ...: no pack is read from such a file
        raise


def classify(head: bytes, name: str = "the input") -> Kind:
    """What the first bytes of a file are (see :func:`sniff`)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(head) >= HEAD_BYTES and lines and not text.endswith("\n"):
        lines.pop()  # the last line was cut at HEAD_BYTES
    if not lines:
        raise Ambiguous(f"{name} is empty: neither a pack nor events")
    objects = [_object(line) for line in lines[:HEAD_LINES]]
    first = objects[0]
    if first is not None and ("pack" in first or "rules" in first):
        return "pack"  # a pack written as JSON on one line
    if any(o is not None and "type" in o and "at" in o for o in objects):
        return "events"
    if not lines[0].startswith("{") or (first is None and _PACK_KEY.search(text)):
        return "pack"  # YAML or TOML text, or a JSON pack over several lines
    raise Ambiguous(
        f"cannot tell whether {name} is a pack or an events file: no line of its head is an "
        "event (a JSON object with `type` and `at`) and it has no `pack` or `rules` key"
    )


def _object(line: str) -> dict[str, object] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
