"""Crash durability: SIGKILL the server at random moments while clients stream writes."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from pathfinder.testing._deploy import Deployment
from pathfinder.testing._load import Outcome, Recorder, events_batch, statement

__all__ = ["Batch", "CrashResult", "crash_durability"]

XAPI = {"X-Experience-API-Version": "1.0.3"}


@dataclass(frozen=True)
class Batch:
    """One write request: what it carried and what the client heard back.

    ``mapped`` lists the ids that must also be stored as events (every event of an events batch;
    for statements, those whose actor and activity the model knows).
    """

    kind: Literal["events", "statements"]
    ids: tuple[str, ...]
    mapped: tuple[str, ...]
    outcome: Outcome
    body: Any = field(compare=False, repr=False)

    @property
    def acknowledged(self) -> bool:
        return self.outcome == 200


@dataclass
class CrashResult:
    """Everything sent, every kill, and what the store holds afterwards."""

    backend: str
    kills: int
    recorder: Recorder
    batches: list[Batch]
    stored_events: Counter[str]
    stored_statements: set[str]
    resent: Counter[str] = field(default_factory=Counter)

    # -- the numbers a test asserts on ---------------------------------------------------------

    def acknowledged_ids(self, kind: str) -> list[str]:
        return [i for b in self.batches if b.kind == kind and b.acknowledged for i in b.ids]

    def stored_ids(self, kind: str) -> set[str]:
        return set(self.stored_events) if kind == "events" else self.stored_statements

    def missing_acknowledged(self, kind: str) -> int:
        """Acknowledged ids the store does not hold (must be 0)."""
        stored = self.stored_ids(kind)
        return sum(1 for i in self.acknowledged_ids(kind) if i not in stored)

    def stored_twice(self) -> int:
        """Event ids stored more than once (must be 0)."""
        return sum(1 for n in self.stored_events.values() if n > 1)

    def half_stored(self) -> int:
        """Unacknowledged batches of which some but not all ids are stored (must be 0)."""
        count = 0
        for b in self.batches:
            if b.acknowledged:
                continue
            held = sum(1 for i in b.ids if i in self.stored_ids(b.kind))
            count += 0 < held < len(b.ids)
        return count

    def refused_but_stored(self) -> int:
        """Ids of refused requests found in the store (must be 0).

        Refused: the connection was refused, or the server answered 503 (still starting).
        """
        return sum(
            1
            for b in self.batches
            if b.outcome in ("refused", 503)
            for i in b.ids
            if i in self.stored_ids(b.kind)
        )

    def unmatched_statement_events(self) -> int:
        """Stored statements whose mapped event is missing, or the reverse (must be 0)."""
        events = set(self.stored_events)
        return sum(
            (i in self.stored_statements) != (i in events)
            for b in self.batches
            if b.kind == "statements"
            for i in b.mapped
        )

    def phantoms(self) -> int:
        """Stored event ids that no client sent (must be 0)."""
        sent = {i for b in self.batches for i in (b.ids if b.kind == "events" else b.mapped)}
        return sum(1 for i in self.stored_events if i not in sent)

    def lost_stored(self, kind: str) -> int:
        """Ids of batches whose answer was lost in a crash that the store nevertheless holds."""
        stored = self.stored_ids(kind)
        return sum(
            1
            for b in self.batches
            if b.kind == kind and b.outcome == "lost"
            for i in b.ids
            if i in stored
        )


def _writer(
    dep: Deployment,
    base: str,
    kind: Literal["events", "statements"],
    rec: Recorder,
    out: list[Batch],
    stop: threading.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    auth = dep.auth()
    with httpx.Client(base_url=base, timeout=10.0) as client:
        while not stop.is_set():
            if kind == "events":
                size = rng.randint(1, 20)
                body: Any = {"events": events_batch(rng, dep.learners, dep.items, size)}
                ids = tuple(e["event_id"] for e in body["events"])
                mapped = ids
                outcome, _ = rec.send(client, "events", "POST", "/events", json=body, headers=auth)
            else:
                body = [
                    statement(
                        rng,
                        rng.choice(dep.learners),
                        rng.choice(dep.items),
                        email=f"crash.{rng.randint(1, 99)}@example.com"
                        if rng.random() < 0.2
                        else None,
                    )
                    for _ in range(rng.randint(1, 6))
                ]
                ids = tuple(s["id"] for s in body)
                mapped = tuple(s["id"] for s in body if "account" in s["actor"])
                outcome, _ = rec.send(
                    client,
                    "statements",
                    "POST",
                    "/xapi/statements",
                    json=body,
                    headers={**auth, **XAPI},
                )
            out.append(Batch(kind, ids, mapped, outcome, body))
            if outcome in ("refused", 503):
                time.sleep(0.05)  # the server is restarting (503: up, still loading the model)


def crash_durability(
    dep: Deployment,
    kills: int = 5,
    seed: int = 0,
    between_s: tuple[float, float] = (0.3, 1.5),
) -> CrashResult:
    """Stream events and xAPI statements while the server is SIGKILLed ``kills`` times.

    After each kill the server starts again on the same port (the clients keep going); after the
    last one, every acknowledged batch is sent again (it must come back all duplicates) and the
    store is read directly.
    """
    server = dep.server(f"crash-{dep.backend}")
    base = server.start()
    rng = random.Random(seed)
    rec = Recorder()
    batches: list[Batch] = []
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_writer, args=(dep, base, kind, rec, batches, stop, seed + k), daemon=True
        )
        for k, kind in enumerate(("events", "statements", "events"))
    ]
    try:
        for t in threads:
            t.start()
        for k in range(kills):
            rec.phase = f"run-{k}"
            time.sleep(rng.uniform(*between_s))
            server.kill()
            rec.phase = f"restart-{k}"
            server.start()
        rec.phase = "final"
        time.sleep(rng.uniform(*between_s))
        stop.set()
        for t in threads:
            t.join(timeout=30)
        rec.phase = "resend"
        resent: Counter[str] = Counter()
        with httpx.Client(base_url=base, timeout=30.0) as client:
            for b in batches:
                if not b.acknowledged:
                    continue
                if b.kind == "events":
                    _, r = rec.send(
                        client, "events", "POST", "/events", json=b.body, headers=dep.auth()
                    )
                    if r is not None and r.status_code == 200:
                        resent["duplicates"] += r.json()["duplicates"]
                        resent["accepted"] += r.json()["accepted"]
                else:
                    _, r = rec.send(
                        client,
                        "statements",
                        "POST",
                        "/xapi/statements",
                        json=b.body,
                        headers={**dep.auth(), **XAPI},
                    )
                    resent["statements_same_ids"] += (
                        r is not None and r.status_code == 200 and r.json() == list(b.ids)
                    )
    finally:
        stop.set()
        server.stop()
    store = dep.store()
    try:
        stored: Counter[str] = Counter()
        cursor = 0
        while True:
            rows, cursor = store.events_since(cursor, 5000)
            stored.update(str(r["event_id"]) for r in rows)
            if len(rows) < 5000:
                break
        statements = {
            i
            for b in batches
            if b.kind == "statements"
            for i in b.ids
            if store.get_statement(i) is not None
        }
    finally:
        store.close()
    return CrashResult(dep.backend, kills, rec, batches, stored, statements, resent)
