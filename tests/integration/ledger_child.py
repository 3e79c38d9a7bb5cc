"""The child process of the kill test: applies a deterministic power-grid stream to a ledger on
an SQLite store, printing its progress, and at the end the ledger's state as one JSON line.

``python tests/integration/ledger_child.py DB MODE`` (MODE ``one``: ``apply`` per event, one
transaction each; ``many``: ``apply_many``, one transaction per batch). It reopens the store and
re-applies the stream from the start, as a restarted service would: what the store holds is
a no-op the second time.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from typing import Any

SEED = 8_2024
N_CASES = 900
NOW = "2024-07-01T00:00:00+08:00"
ADVANCE_EVERY = 700
PROGRESS_EVERY = 50
AREAS = ("urban", "rural", "remote", "extra_remote")


def stream(n_cases: int = N_CASES, seed: int = SEED) -> list[dict[str, Any]]:
    """Faults and crew arrivals (on time, late, before the fault in the stream, never),
    complaints and replies, acceptances and contracts (``starts: all``), with a few events sent
    twice: about 3,000 events, shuffled within a window so that many arrive late."""
    rng = random.Random(seed)
    tz = dt.timezone(dt.timedelta(hours=8))
    base = dt.datetime(2024, 6, 3, 8, 0, tzinfo=tz)
    events: list[dict[str, Any]] = []
    for i in range(n_cases):
        at = base + dt.timedelta(minutes=rng.randrange(20 * 24 * 60))
        case = f"F{i}"
        events.append(
            {
                "id": f"f{i}",
                "type": "fault.reported",
                "at": at.isoformat(),
                "case": case,
                "area": rng.choice(AREAS),
            }
        )
        if rng.random() < 0.85:
            arrive = at + dt.timedelta(minutes=rng.randrange(10, 150))
            events.append(
                {"id": f"c{i}", "type": "crew.arrived", "at": arrive.isoformat(), "case": case}
            )
        if rng.random() < 0.4:
            got = at + dt.timedelta(hours=rng.randrange(1, 48))
            events.append(
                {"id": f"q{i}", "type": "complaint.received", "at": got.isoformat(), "case": case}
            )
            if rng.random() < 0.7:
                reply = got + dt.timedelta(days=rng.randrange(0, 9))
                events.append(
                    {
                        "id": f"r{i}",
                        "type": "complaint.replied",
                        "at": reply.isoformat(),
                        "case": case,
                    }
                )
        if rng.random() < 0.3:
            cls = rng.choice(("residential", "lv_power"))
            for j, kind in enumerate(("acceptance.passed", "contract.signed")):
                when = at + dt.timedelta(days=rng.randrange(0, 6))
                events.append(
                    {
                        "id": f"a{i}-{j}",
                        "type": kind,
                        "at": when.isoformat(),
                        "case": f"A{i}",
                        "customer_class": cls,
                    }
                )
            if rng.random() < 0.8:
                done = at + dt.timedelta(days=rng.randrange(3, 15))
                events.append(
                    {
                        "id": f"e{i}",
                        "type": "power.energized",
                        "at": done.isoformat(),
                        "case": f"A{i}",
                    }
                )
    events.sort(key=lambda e: e["at"])
    for i in range(0, len(events) - 40, 7):  # arrival order: late events within a window
        j = i + rng.randrange(40)
        events[i], events[j] = events[j], events[i]
    for i in rng.sample(range(len(events)), len(events) // 50):
        events.insert(rng.randrange(i, len(events)), dict(events[i]))  # sent twice
    return events


def state(ledger: Any) -> dict[str, Any]:
    """What must survive: the accepted events, the watermark, every clock and every decision."""
    return {
        "snapshot": ledger.snapshot(),
        "deadlines": [d.to_dict() for d in ledger.deadlines()],
    }


def main(argv: list[str]) -> int:
    import svcrules

    path, mode = argv
    engine = svcrules.Engine("power-grid")
    ledger = engine.ledger(store=path)
    print("opened", flush=True)
    events = stream()
    chunks = [events[i : i + ADVANCE_EVERY] for i in range(0, len(events), ADVANCE_EVERY)]
    done = 0
    for chunk in chunks:
        if mode == "one":
            results: Any = (ledger.apply(e) for e in chunk)
        else:
            results = ledger.apply_many(chunk)
        for result in results:
            assert not isinstance(result, svcrules.Rejection), result
            done += 1
            if done % PROGRESS_EVERY == 0:
                print("applied", done, flush=True)
        ledger.advance(max(e["at"] for e in chunk[: len(chunk) // 2]))
    ledger.advance(NOW)
    print("DONE", json.dumps(state(ledger), default=str), flush=True)
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
