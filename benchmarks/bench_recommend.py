"""Benchmark in-process ``recommend``: fit time, then p50/p99 latency over many learners.

Usage: ``python benchmarks/bench_recommend.py [--size medium] [--seed 1] [--learners 1000]``

The same learners are also served by the non-personalised fallback path (popular in role and
region, same sequencer), the cheapest path the service can give, as the baseline ratio.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from pathfinder.data import load_world
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest
from pathfinder.synthetic import generate


def _timed(fn, requests: list[RecommendRequest]) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = []
    for req in requests:
        t0 = time.perf_counter()
        fn(req)
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=None, help="Existing world (else generated).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / args.size
        if args.data is None:
            generate(args.size, args.seed, data)
        world = load_world(data)
        t0 = time.perf_counter()
        rec = Recommender().fit(world)
        fit_s = time.perf_counter() - t0
        bundle = rec.save(Path(tmp) / "model")
        t0 = time.perf_counter()
        rec = Recommender.load(bundle)
        load_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    ids = rng.choice(world.learners["learner_id"].to_numpy(), size=args.learners, replace=False)
    requests = [RecommendRequest(learner_id=str(i)) for i in ids]
    for req in requests[:50]:  # warm-up
        rec.recommend(req)
    lat = _timed(rec.recommend, requests)
    base = _timed(rec.fallback, requests)
    steps = np.mean([len(rec.recommend(r).steps) for r in requests[:200]])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| world | {args.size} (seed {args.seed}): {len(world.learners):,} learners, "
        f"{len(world.catalog):,} items, {len(world.framework.skills)} skills |"
    )
    print("|---|---|")
    print(
        f"| fit (all components, {rec.training_summary_['queries']:,} ranker queries) | "
        f"{fit_s:.1f} s |"
    )
    print(f"| bundle load | {load_s:.2f} s |")
    print(
        f"| recommend p50 / p99 / max ({args.learners:,} learners, 1 thread) | "
        f"{np.percentile(lat, 50):.2f} / {np.percentile(lat, 99):.2f} / {lat.max():.2f} ms |"
    )
    print(
        f"| fallback path p50 / p99 (baseline) | {np.percentile(base, 50):.2f} / "
        f"{np.percentile(base, 99):.2f} ms |"
    )
    print(
        f"| p99 ratio recommend / fallback | {np.percentile(lat, 99) / np.percentile(base, 99):.2f}"
        " |"
    )
    print(f"| mean steps per path | {steps:.1f} |")
    print(f"| peak RSS | {peak:,.0f} MB |")


if __name__ == "__main__":
    main()
