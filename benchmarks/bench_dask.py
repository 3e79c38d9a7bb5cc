"""Scale-out: events per second of ``svcrules.dask.evaluate`` (stateless) and
``svcrules.dask.replay`` (stateful, shuffled by key) on a LocalCluster of 1 and 2 worker
processes, peak memory per worker, and the peak RSS of ``svcrules eval --parquet`` for two input
sizes (it should stay flat: it streams row groups).

Events: the power-grid sample month (examples/power-grid-events.jsonl, the valid lines) repeated
with ids and cases renamed per copy, written to Parquet. Sizes are printed; the full run is
sized for a 2-core machine (see benchmarks/README.md, "Scale-out").
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, info_line, machine, scaled

sys.path.insert(0, str(ROOT))

import dask.dataframe as dd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client, LocalCluster
from tests.scale_events import sample, table

import svcrules.dask as sd

PACK = "power-grid"
STATELESS = scaled(1_000_000, 5_000)
STATEFUL = scaled(200_000, 3_000)
CLI_SIZES = (scaled(200_000, 2_000), scaled(1_000_000, 8_000))


def write_events(path: Path, n: int) -> int:
    base = table([e for e in sample(PACK) if e["at"][-6] in "+-" and e.get("area") != "suburban"])
    written = 0
    with pq.ParquetWriter(path, base.schema) as w:
        k = 0
        while written < n:
            t = base.slice(0, min(base.num_rows, n - written))
            tag = f"k{k}-"
            t = t.set_column(t.schema.get_field_index("id"), "id", pc.binary_join_element_wise(
                pa.scalar(tag), t["id"], ""))  # fmt: skip
            t = t.set_column(t.schema.get_field_index("case"), "case", pc.binary_join_element_wise(
                t["case"], pa.scalar(f"~{k}"), ""))  # fmt: skip
            w.write_table(t)
            written += t.num_rows
            k += 1
    return written


def worker_peak_mb(client: Client) -> list[float]:
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return [v / 1024 for v in peaks.values()]


def run_cluster(workers: int, src: Path, stateful_src: Path, tmp: Path) -> dict[str, float]:
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                     dashboard_address=None, memory_limit="8GiB") as cluster,  # fmt: skip
        Client(cluster) as client,
    ):
        ddf = dd.read_parquet(str(src), dtype_backend="pyarrow", split_row_groups=True)
        ddf = ddf.repartition(npartitions=max(4, workers * 4))
        start = time.perf_counter()
        rows = len(sd.evaluate(ddf, PACK))
        stateless_s = time.perf_counter() - start
        events = dd.read_parquet(str(stateful_src), dtype_backend="pyarrow")
        events = events.repartition(npartitions=max(4, workers * 4))
        report = sd.replay(events, PACK, out=tmp / f"replay-{workers}", npartitions=workers * 8)
        peak = worker_peak_mb(client)
    return {
        "stateless_eps": STATELESS / stateless_s,
        "stateless_rows": rows,
        "stateful_eps": STATEFUL / report.seconds,
        "stateful_outcomes": report.outcomes,
        "peak_mb": max(peak),
    }


def cli_peak_mb(src: Path, out: Path) -> tuple[float, float]:
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


def main() -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src, stateful_src = tmp / "events.parquet", tmp / "stateful.parquet"
        write_events(src, STATELESS)
        write_events(stateful_src, STATEFUL)
        print(f"events: {STATELESS} stateless, {STATEFUL} stateful ({PACK}, Parquet)")
        results = {w: run_cluster(w, src, stateful_src, tmp) for w in (1, 2)}
        for w, r in results.items():
            print(
                f"  {w} worker(s): stateless {r['stateless_eps']:,.0f} events/s "
                f"({r['stateless_rows']:,} outcome rows); stateful replay "
                f"{r['stateful_eps']:,.0f} events/s ({r['stateful_outcomes']:,} outcomes); "
                f"peak RSS per worker {r['peak_mb']:.0f} MB"
            )
        info_line("dask_stateless_speedup_2_vs_1",
                  results[2]["stateless_eps"] / results[1]["stateless_eps"])  # fmt: skip
        info_line("dask_stateful_speedup_2_vs_1",
                  results[2]["stateful_eps"] / results[1]["stateful_eps"])  # fmt: skip
        peaks = []
        for n in CLI_SIZES:
            path = tmp / f"cli-{n}.parquet"
            write_events(path, n)
            mb, seconds = cli_peak_mb(path, tmp / f"cli-{n}-out.parquet")
            peaks.append(mb)
            print(f"  svcrules eval --parquet, {n:,} events: peak RSS {mb:.0f} MB, "
                  f"{n / seconds:,.0f} events/s")  # fmt: skip
        info_line("eval_parquet_peak_rss_large_vs_small", peaks[1] / peaks[0])


if __name__ == "__main__":
    main()
