"""Benchmark the batch forecast: learner-skill rows per second, local (pandas) and Spark engines.

Usage: ``python benchmarks/bench_forecast.py [--size medium] [--seed 1] [--engines local spark]``

Reuses (or generates) the world under ``data/synthetic/<size>`` and the bundle under
``models/<size>`` (or fits it, timed). The forecast writes to a temporary directory. Times are
wall clock; "forecast" covers the kernel (model state for every learner), every chunk, the
Parquet output and the aggregates, not loading the world or the model, nor starting Spark.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pathfinder.data import load_world
from pathfinder.forecast import ForecastConfig, run_forecast, spark_session
from pathfinder.recommender import Recommender
from pathfinder.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", nargs="+", default=["local", "spark"])
    parser.add_argument("--horizons", nargs="+", type=int, default=[30, 90, 180])
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--spark-master", default="local[2]")
    args = parser.parse_args()
    data = ROOT / "data" / "synthetic" / args.size
    bundle = ROOT / "models" / args.size
    if not (data / "MANIFEST.json").exists():
        t0 = time.perf_counter()
        generate(args.size, args.seed, data)
        print(f"generated {data} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    world = load_world(data)
    load_s = time.perf_counter() - t0
    if not (bundle / "bundle.json").exists():
        t0 = time.perf_counter()
        Recommender().fit(world).save(bundle)
        print(f"fitted {bundle} in {time.perf_counter() - t0:.0f} s")
    n_pairs = len(world.learners) * len(world.framework.skills)
    print(
        f"| world | {args.size} (seed {args.seed}): {len(world.learners):,} learners x "
        f"{len(world.framework.skills)} skills = {n_pairs:,} learner-skill pairs; "
        f"horizons {args.horizons} days |"
    )
    print("|---|---|")
    print(f"| load + validate world | {load_s:.1f} s |")
    for engine in args.engines:
        t0 = time.perf_counter()
        rec = Recommender.load(bundle)
        model_s = time.perf_counter() - t0
        spark, spark_s = None, 0.0
        if engine == "spark":
            t0 = time.perf_counter()
            spark = spark_session(args.spark_master)
            spark.range(1).count()
            spark_s = time.perf_counter() - t0
        config = ForecastConfig(
            horizons=tuple(args.horizons), chunk_size=args.chunk_size, engine=engine
        )
        with tempfile.TemporaryDirectory(dir=ROOT / "data" / "synthetic") as tmp:
            result = run_forecast(rec, world, config, Path(tmp) / "out", spark=spark)
            size_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 1e6
        s = result.seconds
        extra = f"; Spark session start {spark_s:.1f} s" if engine == "spark" else ""
        print(
            f"| {engine}: forecast (bundle load {model_s:.1f} s{extra}) | {s:.1f} s: "
            f"{n_pairs / s:,.0f} learner-skill pairs/s, {result.rows / s:,.0f} output rows/s "
            f"({result.rows:,} rows, {size_mb:,.0f} MB Parquet) |"
        )
        if spark is not None:
            spark.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| peak RSS (this process) | {peak:,.0f} MB |")


if __name__ == "__main__":
    main()
