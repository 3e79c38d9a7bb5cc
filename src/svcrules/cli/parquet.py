"""CLI: ``svcrules eval PACK... --parquet IN --out OUT.parquet``: the outcome table of a Parquet
file of events, streamed in row groups (``svcrules.scale.parquet``)."""

from __future__ import annotations

import argparse
import sys

from svcrules.engine import Engine


def cmd_eval_parquet(engine: Engine, args: argparse.Namespace) -> int:
    if not args.out:
        print("svcrules: --parquet needs --out OUT.parquet", file=sys.stderr)
        return 2
    try:
        from svcrules.scale.parquet import evaluate_parquet
    except ImportError:  # pragma: no cover - the `dask` extra brings pyarrow
        print("svcrules: --parquet needs pyarrow: pip install 'svcrules[dask]'", file=sys.stderr)
        return 2
    try:
        counts = evaluate_parquet(engine, args.parquet, args.out)
    except OSError as exc:
        print(f"svcrules: {exc}", file=sys.stderr)
        return 2
    print(
        f"events: {counts.events}, outcomes: {counts.outcomes}, "
        f"rejections: {counts.rejections} -> {args.out}",
        file=sys.stderr,
    )
    return 1 if counts.rejections else 0
