"""Benchmark durable event ingestion into the event store (DESIGN §9: >= 1,000 events/s).

Usage: ``python benchmarks/bench_store.py [--events 20000] [--batch 100]
[--postgres postgresql://postgres@127.0.0.1:5432/test] [--no-postgres]``

Each backend gets a fresh namespace (dropped afterwards); every batch is one committed, durable
transaction (SQLite WAL with ``synchronous=FULL``; PostgreSQL with ``synchronous_commit``), so
events/s is what a server could acknowledge. A second pass re-sends every batch (all duplicates)
to time the idempotent path.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pathfinder.data import columns as C
from pathfinder.store import EventStore, open_store

VERBS = C.VERBS


def make_events(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` synthetic events over 1,000 learners and 500 items."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        {
            C.EVENT_ID: str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i, version=4)),
            C.LEARNER_ID: f"l{rng.integers(1000)}",
            C.ITEM_ID: f"i{rng.integers(500)}",
            C.VERB: VERBS[i % len(VERBS)],
            C.TIMESTAMP: start + timedelta(seconds=int(rng.integers(0, 10_000_000))),
            C.DURATION_S: float(rng.integers(10, 3600)),
            C.SCORE: float(rng.random()) if i % 3 == 0 else None,
            C.RATING: None,
        }
        for i in range(n)
    ]


def run(store: EventStore, events: list[dict[str, Any]], batch: int) -> dict[str, float]:
    """Append ``events`` in batches; returns events/s and batch latency percentiles (ms)."""
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    lat = []
    t0 = time.perf_counter()
    for b in batches:
        t = time.perf_counter()
        store.append_events(b)
        lat.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    assert store.count_events() == len(events)
    t0 = time.perf_counter()
    for b in batches:
        assert store.append_events(b).duplicates == len(b)
    dup_wall = time.perf_counter() - t0
    ms = np.array(lat) * 1e3
    return {
        "rate": len(events) / wall,
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "dup_rate": len(events) / dup_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    events = make_events(args.events)
    namespace = f"bench_{uuid.uuid4().hex[:8]}"
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{Path(tmp) / 'events.db'}"}
        if not args.no_postgres:
            urls["postgresql"] = args.postgres
        for name, url in urls.items():
            store = open_store(url, namespace=namespace)
            try:
                results[name] = run(store, events, args.batch)
            finally:
                store.drop_all()
    print(f"{args.events:,} events in batches of {args.batch}, one durable commit per batch\n")
    print("| backend | durable events/s | batch p50 | batch p99 | duplicate re-send events/s |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rate']:,.0f} events/s | {r['p50']:.1f} ms | {r['p99']:.1f} ms "
            f"| {r['dup_rate']:,.0f} events/s |"
        )


if __name__ == "__main__":
    main()
