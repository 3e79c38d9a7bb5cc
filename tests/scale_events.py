"""A year of generated events per built-in pack, for the scale-out tests and benchmarks: the
pack's shipped sample (examples/<pack>-events.jsonl) repeated every four weeks (weekdays kept),
with ids and cases renamed per copy, every date-time field moved with it, and subjects kept (so
scorecards and counters run across the year)."""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("power-grid", "resident-staff", "telecom-field-service")
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")


def sample(pack: str) -> list[dict[str, Any]]:
    """The pack's sample events (lines that are not JSON objects are left out)."""
    out = []
    for line in (ROOT / "examples" / f"{pack}-events.jsonl").read_text().splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def _shift(value: Any, days: int) -> Any:
    if isinstance(value, str) and _INSTANT.match(value):
        at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (at + dt.timedelta(days=days)).isoformat()
    return value


def year(pack: str, copies: int = 13, every_days: int = 28, share: int = 1) -> list[dict[str, Any]]:
    """``copies`` copies of the sample, ``every_days`` apart (13 x 4 weeks: a year); with
    ``share`` k, only the cases (whole, every event of them) whose CRC is 0 modulo k."""
    base = [e for e in sample(pack) if zlib.crc32(str(e.get("case")).encode()) % share == 0]
    out = []
    for k in range(copies):
        for e in base:
            moved = {f: _shift(v, k * every_days) for f, v in e.items()}
            moved["id"] = f"y{k}-{e.get('id')}"
            if isinstance(e.get("case"), str):
                moved["case"] = f"{e['case']}~{k}"
            out.append(moved)
    return out


def table(events: list[dict[str, Any]]) -> Any:
    """Events as an Arrow table: a column per field (null where an event lacks it)."""
    import pyarrow as pa

    names: dict[str, None] = {}
    for e in events:
        names.update(dict.fromkeys(e))
    return pa.table({n: pa.array([e.get(n) for e in events]) for n in names})


def frame(events: list[dict[str, Any]]) -> Any:
    """Events as a pandas frame with Arrow dtypes (integers with gaps stay integers)."""
    import pandas as pd

    return table(events).to_pandas(types_mapper=pd.ArrowDtype)
