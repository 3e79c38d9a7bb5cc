"""Scale-out: events per second of ``svcrules.dask.evaluate`` (stateless, outcomes written to
Parquet) and ``svcrules.dask.replay`` (stateful, shuffled by key) on a LocalCluster of 1 and 2
worker processes, peak RSS per worker, the size of the replay's key map (built on the client),
and the peak RSS of ``svcrules eval --parquet`` over several input sizes (it must stay flat: it
streams row groups).

Events: the power-grid sample month (examples/power-grid-events.jsonl, the valid lines) repeated
with ids and cases renamed per copy, written to Parquet in row groups of 131 072 rows.

    python benchmarks/bench_dask.py                          # the figures of benchmarks/README.md
    python benchmarks/bench_dask.py --only cli --cli 1e6,1e7 # one part, other sizes
    SVCRULES_BENCH_QUICK=1 python benchmarks/bench_dask.py   # CI-size smoke run

``--dir D`` keeps the generated files in D and reuses them on the next run. Every phase prints
the machine's load average before and after it: on a shared machine the figures depend on it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

from _common import QUICK, ROOT, info_line, machine

sys.path.insert(0, str(ROOT))

import dask.dataframe as dd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client, LocalCluster
from tests.scale_events import sample, table

import svcrules.dask as sd
from svcrules.scale.keys import label_map, node

PACK = "power-grid"
ROW_GROUP = 5_000 if QUICK else 131_072
EVENTS = 5_000 if QUICK else 10_000_000
REPLAYED = 3_000 if QUICK else 1_000_000
CLI_SIZES = (2_000, 8_000) if QUICK else (1_000_000, 3_000_000, 10_000_000)
KEYMAP_CASES = 10_000 if QUICK else 1_000_000


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load avg {one:.1f} (1 min) {five:.1f} (5 min)"


def write_events(path: Path, n: int) -> int:
    """``n`` generated events in ``path`` (reused if it already holds ``n``)."""
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == n:
        return n
    base = table([e for e in sample(PACK) if e["at"][-6] in "+-" and e.get("area") != "suburban"])
    copies = max(1, ROW_GROUP // base.num_rows)
    written, k = 0, 0
    with pq.ParquetWriter(path, base.schema) as w:
        while written < n:
            parts = []
            for _ in range(copies):  # one row group of whole copies per write
                t = base.slice(0, min(base.num_rows, n - written))
                if not t.num_rows:
                    break
                tag = pa.scalar(f"k{k}-")
                t = t.set_column(t.schema.get_field_index("id"), "id",
                                 pc.binary_join_element_wise(tag, t["id"], ""))  # fmt: skip
                i = t.schema.get_field_index("case")
                t = t.set_column(i, "case", pc.binary_join_element_wise(t["case"],
                                 pa.scalar(f"~{k}"), ""))  # fmt: skip
                parts.append(t)
                written += t.num_rows
                k += 1
            w.write_table(pa.concat_tables(parts))
    return written


def worker_peak_mb(client: Client) -> list[float]:
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return [v / 1024 for v in peaks.values()]


def cluster(workers: int) -> LocalCluster:
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, memory_limit="8GiB")  # fmt: skip


def stateless(workers: int, src: Path, n: int, tmp: Path) -> dict[str, Any]:
    with cluster(workers) as c, Client(c) as client:
        ddf = dd.read_parquet(str(src), dtype_backend="pyarrow", split_row_groups=True)
        before = load()
        start = time.perf_counter()
        sd.evaluate(ddf, PACK).to_parquet(str(tmp / f"stateless-{workers}"))
        seconds = time.perf_counter() - start
        rows = pq.ParquetDataset(str(tmp / f"stateless-{workers}")).read(columns=[]).num_rows
        return {"eps": n / seconds, "s": seconds, "rows": rows, "parts": ddf.npartitions,
                "peak": worker_peak_mb(client), "load": f"{before}; after: {load()}"}  # fmt: skip


REPLAY_PARTITION_EVENTS = 62_500
"""Events per replay partition at most: a replay worker holds ~12 KB per event of the partition
it folds (benchmarks/README.md), so 10 M events in 16 partitions would need ~7.5 GB a worker."""


def stateful(workers: int, src: Path, n: int, tmp: Path, shuffle: str = "tasks") -> dict[str, Any]:
    """``shuffle``: Dask's shuffle for replay (``--shuffle``), ``tasks`` (the default) or
    ``p2p``."""
    with cluster(workers) as c, Client(c) as client:
        events = dd.read_parquet(str(src), dtype_backend="pyarrow", split_row_groups=True)
        before = load()
        parts = max(workers * 8, -(-n // REPLAY_PARTITION_EVENTS))
        report = sd.replay(events, PACK, out=tmp / f"replay-{workers}", npartitions=parts,
                           shuffle_method=shuffle)  # fmt: skip
        return {"eps": n / report.seconds, "s": report.seconds, "rows": report.outcomes,
                "parts": report.partitions, "linked": report.linked,
                "peak": worker_peak_mb(client), "load": f"{before}; after: {load()}"}  # fmt: skip


def cli_run(src: Path, out: Path) -> tuple[float, float]:
    """Peak RSS (MB) and seconds of ``svcrules eval --parquet`` as a child process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter();"
        f"subprocess.run([sys.executable, '-m', 'svcrules', 'eval', {PACK!r}, '--parquet', "
        f"{str(src)!r}, '--out', {str(out)!r}], stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,"
        " time.perf_counter() - t)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mb, seconds = res.stdout.split()
    return float(mb), float(seconds)


def keymap(cases: int) -> tuple[float, float, float]:
    """Bytes per entry of the replay's key map: on the client while it is built (``tracemalloc``
    peak, the scanned links and their strings included), pickled (shipped to each worker), and
    held by a worker once unpickled. ``cases`` cases, each linked to one of ``cases // 20``
    subjects (one per twenty cases)."""
    tracemalloc.start()  # the links as the scans return them, their strings, the map
    links = [(node("case", f"C{i:09d}"), node("subject", f"S{i % (cases // 20):07d}"))
             for i in range(cases)]  # fmt: skip
    labels = label_map(links)
    built = tracemalloc.get_traced_memory()[1]
    del links
    blob = pickle.dumps(labels)
    n = len(labels)
    del labels
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    held = pickle.loads(blob)
    worker = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del held
    return built / n, len(blob) / n, worker / n


def run_cli(files: Path, out: Path, sizes: list[int]) -> None:
    peaks = []
    for n in sizes:
        path = files / f"events-{n}.parquet"
        write_events(path, n)
        before = load()
        mb, seconds = cli_run(path, out / f"cli-{n}-out.parquet")
        peaks.append(mb)
        print(f"  svcrules eval --parquet, {n:,} events: peak RSS {mb:.0f} MB, {seconds:.0f} s, "
              f"{n / seconds:,.0f} events/s ({before}; after: {load()})", flush=True)  # fmt: skip
    info_line("eval_parquet_peak_rss_large_vs_small", peaks[-1] / peaks[0])


def run_dask(
    files: Path, out: Path, n: int, replayed: int, workers: list[int], shuffle: str = "tasks"
) -> None:
    src, part = files / f"events-{n}.parquet", files / f"events-{replayed}.parquet"
    write_events(src, n)
    write_events(part, replayed)
    results: dict[str, dict[int, dict[str, Any]]] = {"stateless": {}, "replay": {}}
    replay = partial(stateful, shuffle=shuffle)
    for w in workers:
        for name, fn, size, path in (("stateless", stateless, n, src),
                                     ("replay", replay, replayed, part)):  # fmt: skip
            r = results[name][w] = fn(w, path, size, out)
            print(f"  {w} worker(s), {name}: {size:,} events in {r['s']:.0f} s = "
                  f"{r['eps']:,.0f} events/s, {r['rows']:,} outcome rows, {r['parts']} "
                  f"partitions, peak RSS per worker {max(r['peak']):.0f} MB"
                  + (f", key map {r['linked']:,} entries" if "linked" in r else "")
                  + f" ({r['load']})", flush=True)  # fmt: skip
    if 1 in workers and 2 in workers:
        for name, label in (("stateless", "stateless"), ("replay", "stateful")):
            info_line(f"dask_{label}_speedup_2_vs_1",
                      results[name][2]["eps"] / results[name][1]["eps"])  # fmt: skip
    built, shipped, held = keymap(KEYMAP_CASES)
    print(f"  replay key map, {KEYMAP_CASES:,} linked cases: {built:.0f} B per entry on the "
          f"client while built (links included), {shipped:.0f} B pickled and {held:.0f} B "
          "held per entry on each worker")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("cli", "dask"), help="run one part only")
    ap.add_argument("--events", type=float, default=EVENTS, help="stateless Dask events")
    ap.add_argument("--replayed", type=float, default=REPLAYED, help="stateful Dask events")
    ap.add_argument("--cli", default=",".join(map(str, CLI_SIZES)), help="eval --parquet sizes")
    ap.add_argument("--workers", default="1,2", help="LocalCluster sizes, comma-separated")
    ap.add_argument("--dir", type=Path, help="keep (and reuse) the generated files here")
    ap.add_argument("--shuffle", choices=("tasks", "p2p"), default="tasks", help="replay shuffle")
    args = ap.parse_args()
    print(machine())
    print(f"start: {load()}", flush=True)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        files, out = args.dir or Path(d), Path(d)  # outputs are never reused (replay resumes)
        if args.only != "dask":
            run_cli(files, out, [int(float(s)) for s in args.cli.split(",")])
        if args.only != "cli":
            run_dask(files, out, int(args.events), int(args.replayed),
                     [int(w) for w in args.workers.split(",")], args.shuffle)  # fmt: skip
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
