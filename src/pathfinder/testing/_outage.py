"""Store outage: cut the server's PostgreSQL link under load, restore it, watch it recover."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import httpx

from pathfinder.testing._deploy import Deployment
from pathfinder.testing._load import Recorder, events_batch
from pathfinder.testing._proxy import TcpProxy

__all__ = ["OutageResult", "store_outage"]

_SETTLE_S = 0.3  # longer than a request takes: requests of a phase end before the next begins


@dataclass
class OutageResult:
    """Phases ``before``, ``outage``, ``recovery`` (until a write succeeds again), ``after``.

    Requests sent in the short ``cutting`` and ``restoring`` phases may see either state.
    """

    mode: str
    recorder: Recorder
    acknowledged: list[str]
    stored: set[str]
    recovery_s: float
    server_starts: int
    degraded: dict[str, int] = field(default_factory=dict)

    def missing_acknowledged(self) -> int:
        return sum(1 for i in self.acknowledged if i not in self.stored)


def _writer(
    dep: Deployment, base: str, rec: Recorder, acked: list[str], stop: threading.Event, seed: int
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while not stop.is_set():
            batch = events_batch(rng, dep.learners, dep.items, 5)
            outcome, _ = rec.send(
                client, "write", "POST", "/events", json={"events": batch}, headers=dep.auth()
            )
            if outcome == 200:
                acked.extend(e["event_id"] for e in batch)
            time.sleep(0.02)


def _reader(
    dep: Deployment,
    base: str,
    rec: Recorder,
    degraded: dict[str, int],
    stop: threading.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while not stop.is_set():
            body = {"learner_id": rng.choice(dep.learners), "max_steps": 5}
            outcome, r = rec.send(
                client, "read", "POST", "/recommend", json=body, headers=dep.auth()
            )
            if outcome == 200 and r is not None and r.json()["degraded"]:
                degraded[rec.phase] = degraded.get(rec.phase, 0) + 1
            time.sleep(0.02)


def store_outage(
    dep: Deployment,
    mode: Literal["refuse", "blackhole"] = "refuse",
    before_s: float = 2.0,
    outage_s: float = 4.0,
    after_s: float = 2.0,
    recovery_limit_s: float = 20.0,
    seed: int = 0,
) -> OutageResult:
    """One server whose PostgreSQL link goes through a :class:`TcpProxy` that is cut mid-load.

    A writer (batches of 5 events) and a reader (recommend) run throughout; the phases label
    their requests. ``recovery`` lasts from the restore until the first acknowledged write
    (at most ``recovery_limit_s``); the server is never restarted.
    """
    if dep.backend != "postgresql":
        raise ValueError("the store-outage scenario needs the PostgreSQL backend")
    host_port = dep.store_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    rec = Recorder()
    acked: list[str] = []
    degraded: dict[str, int] = {}
    stop = threading.Event()
    with TcpProxy(host, int(port)) as proxy:
        proxied = dep.store_url.replace(host_port, proxy.url_host)
        server = dep.server(f"outage-{mode}", store_url=proxied)
        base = server.start()
        pid = server.pid
        threads = [
            threading.Thread(target=_writer, args=(dep, base, rec, acked, stop, seed)),
            threading.Thread(target=_reader, args=(dep, base, rec, degraded, stop, seed + 1)),
        ]
        try:
            rec.phase = "before"
            for t in threads:
                t.start()
            time.sleep(before_s)
            rec.phase = "cutting"  # requests sent now may or may not see the cut
            time.sleep(_SETTLE_S)
            proxy.cut(mode)
            rec.phase = "outage"
            time.sleep(outage_s)
            rec.phase = "restoring"
            time.sleep(_SETTLE_S)
            proxy.restore()
            rec.phase = "recovery"
            restored = time.monotonic()
            seen = len(acked)
            while len(acked) == seen and time.monotonic() - restored < recovery_limit_s:
                time.sleep(0.01)
            recovery_s = time.monotonic() - restored
            rec.phase = "after"
            time.sleep(after_s)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
            same_process = server.pid == pid
            server.stop()
    store = dep.store()
    try:
        stored = {str(r["event_id"]) for r in store.events_since(0, 1_000_000)[0]}
    finally:
        store.close()
    return OutageResult(mode, rec, acked, stored, recovery_s, 1 if same_process else 2, degraded)
