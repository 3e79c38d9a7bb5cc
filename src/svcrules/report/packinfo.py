"""Report: what a report reads from the engine's packs rather than from the data: each pack's
zone, each rule's cite, the scorecards' thresholds (with the rules acting on their crossing)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from svcrules.engine import Engine
from svcrules.report.model import Threshold
from svcrules.runtime.due import period_label


@dataclass(frozen=True, slots=True)
class PackInfo:
    title: str
    zones: dict[str, ZoneInfo]
    cites: dict[tuple[str, str], str]
    """``(pack, rule id)`` → the clause as text."""
    thresholds: tuple[Threshold, ...]
    bases: dict[tuple[str, str], int]
    """``(pack, scorecard)`` → base score."""

    def month(self, pack: str, instant: dt.datetime) -> str:
        """The month label of ``instant`` in ``pack``'s zone (as the ledger's periods are)."""
        return period_label(instant, "month", self.zones[pack])

    def cite(self, pack: str, rule: str) -> str:
        return self.cites.get((pack, rule), "")


def _threshold_cites(engine: Engine, pack: str, name: str) -> str:
    """The clauses of the rules on ``score.crossed`` whose condition names threshold ``name``."""
    quoted = re.compile(rf"""['"]{re.escape(name)}['"]""")
    for cp in engine.compiled:
        if cp.name != pack:
            continue
        cites = [
            str(r.cite)
            for r in cp.rules
            if "score.crossed" in r.on and r.when is not None and quoted.search(r.when)
        ]
        return "; ".join(dict.fromkeys(cites))
    return ""


def pack_info(engine: Engine) -> PackInfo:
    zones = {cp.name: cp.timezone for cp in engine.compiled}
    cites = {(cp.name, r.id): str(r.cite) for cp in engine.compiled for r in cp.rules}
    thresholds = []
    bases = {}
    for cp in engine.compiled:
        if cp.ledger is None:
            continue
        for card in cp.ledger.scorecards.values():
            bases[(cp.name, card.name)] = card.base
            for th in card.thresholds:
                thresholds.append(
                    Threshold(
                        pack=cp.name,
                        scorecard=card.name,
                        name=th.name,
                        level=th.level,
                        inclusive=th.inclusive,
                        cite=_threshold_cites(engine, cp.name, th.name),
                    )
                )
    title = "; ".join(p.spec.title for p in engine.packs)
    return PackInfo(title, zones, cites, tuple(thresholds), bases)
