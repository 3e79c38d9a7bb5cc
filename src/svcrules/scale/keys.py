"""Scale: which events must share a ledger. State is keyed by field values (a clock by
``case``, a scorecard and a schedule by ``subject``, a counter by its ``key`` field), and
derived events carry them across (a counter on a subject starts a clock on that event's case),
so events are grouped by the connected components of the values they carry: an event with
case C and subject S links C and S, and every event of C or of S lands in one partition.

The component's label is its smallest node (``field\\x1fvalue``), so it does not depend on
the order the links were found in; an event with no key value gets the empty label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from svcrules.diagnostics import Diagnostic
from svcrules.engine import Engine
from svcrules.errors import PackError

SEP = "\x1f"


def key_fields(engine: Engine) -> tuple[str, ...]:
    """The event fields that key state in ``engine``'s packs: ``case``, ``subject`` and every
    counter's ``key`` field. Refuses packs whose schedules list subjects (every
    partition's ledger would owe those occurrences)."""
    fields = ["case", "subject"]
    for cp in engine.compiled:
        plan = cp.ledger
        if plan is None:
            continue
        for counter in plan.counters.values():
            if counter.key not in fields:
                fields.append(counter.key)
        # an empty list owes nothing anywhere; a non-empty one would be owed in every partition
        listed = [s.name for s in plan.schedules.values() if s.subjects]
        if listed:
            raise PackError(
                [
                    Diagnostic(
                        "scale.listed-schedule",
                        f"{cp.name}: schedules {listed} list their subjects, so every partition "
                        "would owe their occurrences; replay such a pack in one partition",
                    )
                ]
            )
    return tuple(fields)


def node(field: str, value: Any) -> str:
    return f"{field}{SEP}{value}"


class Components:
    """Union-find over key nodes; ``labels()`` maps each linked node to its component label."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def _find(self, x: str) -> str:
        parent = self._parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def link(self, nodes: Sequence[str]) -> None:
        if len(nodes) < 2:
            return
        first = self._find(nodes[0])
        for other in nodes[1:]:
            root = self._find(other)
            if root != first:
                lo, hi = (first, root) if first < root else (root, first)
                self._parent[hi] = lo  # the smaller node is the root: the label is the minimum
                first = lo

    def labels(self) -> dict[str, str]:
        """Every node in a component of two or more, to its label (its smallest node); the
        label itself is left out (a node not in the map is its own label), so the map that is
        built on the client and shipped to every worker holds one entry per linked value that
        is not a component's smallest."""
        out = {}
        for x in list(self._parent):
            root = self._find(x)
            if root != x:
                out[x] = root
        return out


def links(records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> set[tuple[str, ...]]:
    """The distinct sets of key nodes that one event links (events with two or more)."""
    out: set[tuple[str, ...]] = set()
    for r in records:
        nodes = tuple(node(f, r[f]) for f in fields if r.get(f) is not None)
        if len(nodes) > 1:
            out.add(nodes)
    return out


def label_map(all_links: Iterable[Sequence[str]]) -> dict[str, str]:
    comps = Components()
    for nodes in all_links:
        comps.link(nodes)
    return comps.labels()


def label_of(record: Mapping[str, Any], fields: Sequence[str], labels: Mapping[str, str]) -> str:
    """The partition label of one event: the label of its first key value's component."""
    for f in fields:
        value = record.get(f)
        if value is not None:
            n = node(f, value)
            return labels.get(n, n)
    return ""
