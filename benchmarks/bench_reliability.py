"""Run the load parts of the reliability scenarios (tests/reliability) and print one table.

Usage: ``python benchmarks/bench_reliability.py [--kills 5] [--skip-fuzz]``

Fits a model on the ``tiny`` world, then, against real ``bentoml serve`` processes (debug
logging, as in the tests): SIGKILL crashes while events and xAPI statements stream (SQLite and
PostgreSQL), a PostgreSQL outage through a loopback proxy (refused and black-holed link), an
open-loop overload with and without admission control, bundle faults with reloads under load,
and Schemathesis fuzzing. Needs PostgreSQL on 127.0.0.1:5432 (database ``test``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pathfinder.data import load_world
from pathfinder.recommender import Recommender, RecommenderConfig
from pathfinder.synthetic import generate
from pathfinder.testing import Deployment, crash_durability
from pathfinder.testing._model_faults import FAULTS, model_faults
from pathfinder.testing._outage import store_outage
from pathfinder.testing._overload import overload

ROOT = Path(__file__).resolve().parents[1]
Row = dict[str, Any]


def _crash(dep: Deployment, kills: int) -> Row:
    r = crash_durability(dep, kills=kills, seed=6)
    acked = r.acknowledged_ids("events") + [
        i for b in r.batches if b.kind == "statements" and b.acknowledged for i in b.mapped
    ]
    outcomes = r.recorder.outcomes()
    return {
        "faults": f"{kills} × SIGKILL",
        "requests": sum(outcomes.values()),
        "acknowledged": len(acked),
        "stored": sum(1 for i in acked if i in r.stored_events),
        "in doubt": f"{outcomes['lost']} lost answers, {r.half_stored()} half-stored",
        "503": outcomes[503],
        "other 5xx": r.recorder.server_errors(allowed=[503]),
    }


def _outage(dep: Deployment, mode: str) -> Row:
    r = store_outage(dep, mode, outage_s=4.0 if mode == "refuse" else 9.0)  # type: ignore[arg-type]
    outcomes = r.recorder.outcomes()
    reads = r.recorder.outcomes("read", "outage")
    return {
        "faults": f"link {mode}d for {4 if mode == 'refuse' else 9} s",
        "requests": sum(outcomes.values()),
        "acknowledged": len(r.acknowledged),
        "stored": len(r.stored & set(r.acknowledged)),
        "in doubt": f"reads in outage {reads[200]}/{sum(reads.values())} ok, "
        f"recovered in {r.recovery_s:.2f} s",
        "503": outcomes[503],
        "other 5xx": r.recorder.server_errors(allowed=[503]),
    }


#: Well past one worker's capacity (its model runs in a process of its own: ~250-450 req/s here).
HEAVY_RATE = 800.0


def _overload(dep: Deployment, max_inflight: int) -> Row:
    r = overload(dep, max_inflight=max_inflight, heavy_rate=HEAVY_RATE)
    return {
        "faults": f"{HEAVY_RATE:g} req/s open loop, max_inflight {max_inflight}",
        "requests": len(r.shots),
        "acknowledged": "–",
        "stored": "–",
        "in doubt": f"accepted p99 {r.p(99, 'overload', 200, due=True):.0f} ms, "
        f"shed p50/p99 {r.p(50, 'overload', 503):.0f}/{r.p(99, 'overload', 503):.0f} ms, "
        f"after p99 {r.p(99, 'after'):.0f} ms",
        "503": len(r.of("overload", 503)),
        "other 5xx": r.server_errors() + r.failures(),
    }


def _model_faults(dep: Deployment, other: Path) -> Row:
    r = model_faults(dep, other)
    rec = r.recorder
    writes = rec.outcomes("write")[200] * 3
    store = dep.store()
    try:
        stored = store.count_events()
    finally:
        store.close()
    return {
        "faults": f"{len(FAULTS)} bundle faults + restore, reloaded",
        "requests": sum(rec.outcomes().values()),
        "acknowledged": writes,
        "stored": stored,
        "in doubt": f"readyz {rec.outcomes('readyz')[200]}/{sum(rec.outcomes('readyz').values())}"
        " ok",
        "503": rec.outcomes()[503],
        "other 5xx": rec.server_errors(allowed=[503]),
    }


def _fuzz(dep: Deployment, tmp: Path) -> Row:
    base = dep.server("fuzz").start()
    config = tmp / "schemathesis.toml"
    config.write_text(
        '[checks.positive_data_acceptance]\nexpected-statuses = ["2xx", "401", "403", "404", '
        '"409", "422", "503"]\n'
    )
    exe = str(Path(sys.executable).parent / "schemathesis")
    cases, failures = 0, 0
    for headers in ({"Authorization": f"Bearer {dep.keys['ops']}"}, {}):
        cmd = [exe, "--config-file", str(config), "run", f"{base}/docs.json", "--checks", "all"]
        cmd += ["--max-examples", "40", "--seed", "6", "--generation-database", "none"]
        for name, value in {**headers, "X-Experience-API-Version": "1.0.3"}.items():
            cmd += ["--header", f"{name}: {value}"]
        out = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600).stdout
        found = re.search(r"(\d+) generated", out)
        cases += int(found.group(1)) if found else 0
        failures += int(m.group(1)) if (m := re.search(r"(\d+) unique failure", out)) else 0
    return {
        "faults": "Schemathesis, all checks, admin + anonymous",
        "requests": cases,
        "acknowledged": "–",
        "stored": "–",
        "in doubt": f"{failures} failures",
        "503": "–",
        "other 5xx": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--skip-fuzz", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        generate("tiny", 7, tmp / "world")
        world = load_world(tmp / "world")
        bundle = Recommender().fit(world).save(tmp / "model")
        other = Recommender(
            RecommenderConfig(gain_weight=0.2, training={"seed": 3, "decision_points": 3})
        ).fit(world)
        other_bundle = other.save(tmp / "other")
        runs: list[tuple[str, str, Callable[[Deployment], Row]]] = [
            ("crash durability", "sqlite", lambda d: _crash(d, args.kills)),
            ("crash durability", "postgresql", lambda d: _crash(d, args.kills)),
            ("store outage (refused)", "postgresql", lambda d: _outage(d, "refuse")),
            ("store outage (black hole)", "postgresql", lambda d: _outage(d, "blackhole")),
            ("overload, admission control", "sqlite", lambda d: _overload(d, 4)),
            ("overload, no admission control", "sqlite", lambda d: _overload(d, 10_000)),
            ("model faults", "sqlite", lambda d: _model_faults(d, other_bundle)),
        ]
        if not args.skip_fuzz:
            runs.append(("API fuzzing", "sqlite", lambda d: _fuzz(d, tmp)))
        print(
            "| scenario | store | faults injected | requests sent | events acknowledged | "
            "stored | 503 | other 5xx | notes |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for k, (scenario, backend, run) in enumerate(runs):
            dep = Deployment.create(ROOT, tmp / f"dep{k}", bundle, world, backend)
            started = time.perf_counter()
            try:
                row = run(dep)
            finally:
                dep.stop_all()
                if backend == "postgresql":
                    dep.drop_store()
            leaks = dep.leaks()
            cells = [row[c] for c in ("requests", "acknowledged", "stored", "503", "other 5xx")]
            shown = " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in cells)
            print(
                f"| {scenario} | {backend} | {row['faults']} | {shown} | {row['in doubt']}; "
                f"{len(leaks)} log leaks; {time.perf_counter() - started:.0f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
