"""Drive the real BentoML server at increasing fixed request rates (open loop, loopback).

Usage: ``python benchmarks/bench_server.py [--size small] [--seconds 8] [--rates 20 40 ...]``

Starts ``bentoml serve`` on a free port with a freshly fitted model and a SQLite event store, then
for each rate sends requests on a fixed schedule for ``--seconds`` and measures latency from the
*scheduled* send time (so a slow server cannot hide queueing), for ``POST /recommend`` and, in the
same run, the service's no-op route ``GET /xapi/about`` (the framework's own ceiling). Reports the
highest rate held with p99 <= 50 ms and no errors for each, and their ratio; then durable events/s
through ``POST /events`` (batches of 100).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from pathfinder.data import load_world
from pathfinder.recommender import Recommender
from pathfinder.service import new_key
from pathfinder.service._launch import running_server
from pathfinder.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]


async def _ladder(base: str, rate: float, seconds: float, make: object) -> tuple[np.ndarray, int]:
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=5.0) as client:
        start = time.perf_counter() + 0.2
        n = int(rate * seconds)

        async def one(k: int) -> None:
            nonlocal errors
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                r = await make(client, k)  # type: ignore[operator]
                if r.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            lat.append(time.perf_counter() - due)

        await asyncio.gather(*(one(k) for k in range(n)))
    return np.array(lat) * 1e3, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[20, 40, 60, 80, 120, 160, 240, 320]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        generate(args.size, 42, tmp / "world")
        world = load_world(tmp / "world")
        bundle = Recommender().fit(world).save(tmp / "model")
        key, record = new_key("bench", ("read", "write"))
        (tmp / "keys.json").write_text(json.dumps([record.model_dump()]))
        env = {
            "PATHFINDER_MODEL": str(bundle),
            "OPENBLAS_NUM_THREADS": "1",
            "PATHFINDER_STORE_URL": f"sqlite:///{tmp / 'events.db'}",
            "PATHFINDER_API_KEYS_FILE": str(tmp / "keys.json"),
            "BENTOML_HOME": str(tmp / "bentoml"),
        }
        with running_server(ROOT, env, tmp / "server.log") as base:
            auth = {"Authorization": f"Bearer {key}"}
            learners = world.learners["learner_id"].tolist()

            async def recommend(client: httpx.AsyncClient, k: int) -> httpx.Response:
                return await client.post(
                    "/recommend", headers=auth, json={"learner_id": learners[k % len(learners)]}
                )

            async def noop(client: httpx.AsyncClient, k: int) -> httpx.Response:
                return await client.get("/xapi/about")

            best = {"recommend": 0.0, "no-op": 0.0}
            print("| route | rate (req/s) | p50 ms | p99 ms | errors | held |")
            print("|---|---|---|---|---|---|")
            for name, make in (("no-op", noop), ("recommend", recommend)):
                for rate in args.rates:
                    lat, errors = asyncio.run(_ladder(base, rate, args.seconds, make))
                    p50, p99 = np.percentile(lat, 50), np.percentile(lat, 99)
                    held = p99 <= 50 and errors == 0
                    print(
                        f"| {name} | {rate:g} | {p50:.1f} | {p99:.1f} | {errors} | "
                        f"{'yes' if held else 'no'} |",
                        flush=True,
                    )
                    if held:
                        best[name] = max(best[name], rate)
                    elif p99 > 500:
                        break
            ratio = best["recommend"] / best["no-op"] if best["no-op"] else float("nan")
            print(
                f"\nhighest rate held with p99 <= 50 ms and no errors: recommend "
                f"{best['recommend']:g} req/s, no-op {best['no-op']:g} req/s, ratio {ratio:.2f}"
            )
            items = world.catalog["item_id"].tolist()
            t0 = time.perf_counter()
            sent = 0
            with httpx.Client(base_url=base, timeout=10) as client:
                for _ in range(50):
                    batch = [
                        {
                            "event_id": str(uuid.uuid4()),
                            "learner_id": learners[k],
                            "item_id": items[k % len(items)],
                            "verb": "launched",
                            "timestamp": "2026-01-05T09:00:00Z",
                        }
                        for k in range(100)
                    ]
                    r = client.post("/events", json={"events": batch}, headers=auth)
                    assert r.status_code == 200, r.text
                    sent += r.json()["accepted"]
            print(
                f"durable events/s over HTTP (SQLite, batches of 100): "
                f"{sent / (time.perf_counter() - t0):,.0f}"
            )


if __name__ == "__main__":
    main()
