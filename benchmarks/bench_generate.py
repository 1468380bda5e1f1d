"""Benchmark the synthetic-world generator: wall time, peak memory, rows, structure.

Usage: ``python benchmarks/bench_generate.py [--size medium] [--seed 1] [--out DIR]``
Prints one table; copy it into benchmarks/RESULTS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pathfinder.data import load_world
from pathfinder.synthetic import generate
from pathfinder.synthetic.structure import measure_structure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / args.size
        t0 = time.perf_counter()
        manifest = generate(args.size, args.seed, out)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        world = load_world(out)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = measure_structure(world)
        t_struct = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| size | {args.size} (seed {args.seed}) |")
    print("|---|---|")
    for name, rows in manifest["rows"].items():
        print(f"| {name} rows | {rows:,} |")
    print(f"| generate wall time | {t_gen:.1f} s |")
    print(f"| load + validate wall time | {t_load:.1f} s |")
    print(f"| structure measurement | {t_struct:.1f} s |")
    print(f"| peak RSS | {peak_mb:,.0f} MB |")
    print(f"| files on disk | {size_mb:,.0f} MB |")
    for key, value in vars(report).items():
        print(f"| structure: {key} | {value:.3f} |")


if __name__ == "__main__":
    main()
