"""Drive the real BentoML server over loopback at increasing fixed rates, and measure ingestion.

Usage: ``python benchmarks/bench_server.py [--size medium] [--model DIR --data DIR] [--seconds 6]``

Starts ``bentoml serve`` on a free port (SQLite event store), then for each rate of the ladder sends
requests on a fixed schedule with the open-loop driver of ``pathfinder.testing`` (latency from the
due time, so queueing is not hidden): ``POST /recommend`` for a different learner each request, and,
in the same run, the no-op route ``GET /xapi/about`` of the same service (the framework's own
ceiling). Reports the highest rate held with p99 <= 50 ms and no errors for each, and their ratio;
the two ladders alternate for ``--rounds`` rounds on the same server and each route's figure is the
median of its rounds (one ladder moves by +-25 % between runs on this virtual machine).
Then durable events/s through ``POST /events`` (batches of 100, acknowledged after commit) with the
SQLite store and with the PostgreSQL server on 127.0.0.1:5432 (in a throw-away schema).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np

from pathfinder.data import World, load_world
from pathfinder.recommender import Recommender
from pathfinder.service import new_key
from pathfinder.service._launch import running_server
from pathfinder.store import open_store
from pathfinder.synthetic import generate
from pathfinder.testing import encode_request, open_loop, percentile

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
P99_LIMIT_MS = 50.0
#: Pause between the two ladders: BentoML keeps every request's context alive for its 30 s traffic
#: timeout, so the first ladder's overload steps would otherwise still weigh on the second.
SETTLE_S = 35.0


def _ladder(
    base: str, name: str, requests: list[bytes], rates: list[float], seconds: float
) -> float:
    """Run the rates in order; returns the highest held (stops two rates after the first miss)."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    best, misses = 0.0, 0
    for rate in rates:
        shots = asyncio.run(open_loop(port, requests, rate, seconds, host=host))
        codes = Counter("failed" if s.status is None else s.status for s in shots)
        errors = sum(n for code, n in codes.items() if code != 200)
        p50, p99 = (percentile((s.due_ms for s in shots), q) for q in (50, 99))
        held = p99 <= P99_LIMIT_MS and errors == 0
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items(), key=str))
        print(
            f"| {name} | {rate:g} | {p50:.1f} | {p99:.1f} | {errors} ({statuses}) | "
            f"{'yes' if held else 'no'} |",
            flush=True,
        )
        if held:
            best, misses = rate, 0
        else:
            misses += 1
            if misses == 2:
                break
    return best


def _events_per_s(base: str, auth: dict[str, str], world: World, batches: int) -> float:
    learners = world.learners["learner_id"].tolist()
    items = world.catalog["item_id"].tolist()
    sent = 0
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        for b in range(batches):
            batch = [
                {
                    "event_id": str(uuid.uuid4()),
                    "learner_id": learners[(b * 100 + k) % len(learners)],
                    "item_id": items[k % len(items)],
                    "verb": "launched",
                    "timestamp": "2026-01-05T09:00:00Z",
                }
                for k in range(100)
            ]
            r = client.post("/events", json={"events": batch}, headers=auth)
            r.raise_for_status()
            sent += r.json()["accepted"]
    return sent / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=None, help="Existing world (else generated).")
    parser.add_argument("--model", type=Path, default=None, help="Existing bundle (else fitted).")
    parser.add_argument("--seconds", type=float, default=6.0, help="Length of each rate step.")
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200],
    )
    parser.add_argument("--batches", type=int, default=50, help="Event batches of 100 per store.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Alternating no-op and recommend ladders (odd); each route's figure is its median.",
    )
    args = parser.parse_args()
    if args.rounds < 1 or args.rounds % 2 == 0:
        parser.error("--rounds must be odd (1, 3, 5, ...): the median is then a rate of the ladder")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = args.data or tmp / "world"
        if args.data is None:
            generate(args.size, args.seed, data)
        world = load_world(data)
        bundle = args.model or Recommender().fit(world).save(tmp / "model")
        key, record = new_key("bench", ("read", "write"))
        (tmp / "keys.json").write_text(json.dumps([record.model_dump()]))
        env = {
            "PATHFINDER_MODEL": str(bundle),
            "OPENBLAS_NUM_THREADS": "1",
            "PATHFINDER_API_KEYS_FILE": str(tmp / "keys.json"),
            "BENTOML_HOME": str(tmp / "bentoml"),
        }
        auth = {"Authorization": f"Bearer {key}"}
        rng = np.random.default_rng(0)
        learners = rng.permutation(world.learners["learner_id"].to_numpy())
        recommend = [
            encode_request(
                "POST",
                "/recommend",
                {**auth, "Content-Type": "application/json"},
                json.dumps({"learner_id": str(lid)}).encode(),
            )
            for lid in learners
        ]
        noop = [encode_request("GET", "/xapi/about", {"X-Experience-API-Version": "1.0.3"})]
        print(f"world {data.name}: {len(world.learners):,} learners, {len(world.catalog):,} items")
        # the driver's own heap (the world, 20,000 encoded requests) out of its garbage collector:
        # a full collection would pause the driver and count as server latency
        gc.collect()
        gc.freeze()
        sqlite_env = {**env, "PATHFINDER_STORE_URL": f"sqlite:///{tmp / 'events.db'}"}
        with running_server(ROOT, sqlite_env, tmp / "server.log") as base:
            print("| route | rate (req/s) | p50 ms | p99 ms | errors (status: count) | held |")
            print("|---|---|---|---|---|---|")
            held: dict[str, list[float]] = {"no-op": [], "recommend": []}
            for r in range(1, args.rounds + 1):
                tag = f" (round {r})" if args.rounds > 1 else ""
                held["no-op"].append(
                    _ladder(base, f"no-op GET /xapi/about{tag}", noop, args.rates, args.seconds)
                )
                time.sleep(SETTLE_S)
                held["recommend"].append(
                    _ladder(base, f"POST /recommend{tag}", recommend, args.rates, args.seconds)
                )
                if r < args.rounds:
                    time.sleep(SETTLE_S)
            best_noop, best_rec = (float(np.median(held[k])) for k in ("no-op", "recommend"))
            ratio = best_rec / best_noop if best_noop else float("nan")
            pairs = zip(held["recommend"], held["no-op"], strict=True)
            rounds = ", ".join(f"{rec:g}/{nop:g}" for rec, nop in pairs)
            print(
                f"\nhighest rate held (p99 <= {P99_LIMIT_MS:g} ms, no errors), median of "
                f"{args.rounds} round(s) (recommend/no-op: {rounds}): recommend {best_rec:g} "
                f"req/s, no-op {best_noop:g} req/s, ratio {ratio:.2f}"
            )
            sqlite_eps = _events_per_s(base, auth, world, args.batches)
        namespace = f"bench_{uuid.uuid4().hex[:10]}"
        pg_env = {**env, "PATHFINDER_STORE_URL": POSTGRES, "PATHFINDER_STORE_NAMESPACE": namespace}
        try:
            with running_server(ROOT, pg_env, tmp / "server-pg.log") as base:
                pg_eps = _events_per_s(base, auth, world, args.batches)
        finally:
            open_store(POSTGRES, namespace=namespace).drop_all()
        print(
            f"durable events/s over HTTP (batches of 100): SQLite {sqlite_eps:,.0f}, "
            f"PostgreSQL {pg_eps:,.0f}"
        )


if __name__ == "__main__":
    main()
