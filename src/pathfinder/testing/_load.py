"""Request payloads and a thread-safe record of what a load driver sent and got back."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import numpy as np

__all__ = ["Outcome", "Recorder", "Sample", "events_batch", "percentile", "statement"]

#: What became of a request: an HTTP status, or a transport failure — ``"refused"`` (the
#: connection was never made, so the server cannot have acted on it) or ``"lost"`` (sent, but
#: no answer came: the server may or may not have acted on it).
Outcome = int | Literal["refused", "lost"]

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = ("launched", "progressed", "completed", "passed", "failed", "skipped")


@dataclass(frozen=True)
class Sample:
    """One request: route label, phase label, start (monotonic s), latency (s), outcome."""

    route: str
    phase: str
    started: float
    latency_s: float
    outcome: Outcome


class Recorder:
    """Collects :class:`Sample` rows from several threads; the current phase labels new rows."""

    def __init__(self, keep_errors: int = 50) -> None:
        self.samples: list[Sample] = []
        self.phase = "start"
        self.errors: list[tuple[str, str, int, str]] = []  # (route, phase, status, body) of 5xx
        self.keep_errors = keep_errors
        self._lock = threading.Lock()

    def send(
        self, client: httpx.Client, route: str, method: str, url: str, **kwargs: Any
    ) -> tuple[Outcome, httpx.Response | None]:
        """Send one request and record it; transport errors become an outcome, never raise."""
        phase, started = self.phase, time.monotonic()
        response: httpx.Response | None = None
        outcome: Outcome
        try:
            response = client.request(method, url, **kwargs)
            outcome = response.status_code
            if outcome >= 500 and len(self.errors) < self.keep_errors:
                self.errors.append((route, phase, outcome, response.text[:300]))
        except httpx.ConnectError:
            outcome = "refused"
        except httpx.TransportError:
            outcome = "lost"
        self.add(Sample(route, phase, started, time.monotonic() - started, outcome))
        return outcome, response

    def add(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def select(
        self, route: str | None = None, phase: str | None = None, outcome: Outcome | None = None
    ) -> list[Sample]:
        """Samples matching every given label."""
        with self._lock:
            rows = list(self.samples)
        return [
            s
            for s in rows
            if (route is None or s.route == route)
            and (phase is None or s.phase == phase)
            and (outcome is None or s.outcome == outcome)
        ]

    def outcomes(self, route: str | None = None, phase: str | None = None) -> Counter[Outcome]:
        return Counter(s.outcome for s in self.select(route, phase))

    def server_errors(self, allowed: Iterable[int] = ()) -> int:
        """Responses with a 5xx status outside ``allowed``."""
        keep = set(allowed)
        return sum(
            1
            for s in self.select()
            if isinstance(s.outcome, int) and s.outcome >= 500 and s.outcome not in keep
        )


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` (NaN when empty)."""
    arr = np.fromiter(values, dtype=float)
    return float(np.percentile(arr, q)) if arr.size else float("nan")


def events_batch(
    rng: random.Random, learners: list[str], items: list[str], size: int
) -> list[dict[str, Any]]:
    """``size`` new events (fresh UUIDs) about known learners and items."""
    return [
        {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "learner_id": rng.choice(learners),
            "item_id": rng.choice(items),
            "verb": rng.choice(VERBS),
            "timestamp": f"2026-01-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
            "duration_s": float(rng.randint(10, 3600)),
        }
        for _ in range(size)
    ]


def statement(
    rng: random.Random, learner: str | None, item: str, email: str | None = None
) -> dict[str, Any]:
    """An xAPI statement with its own id; ``email`` makes the actor an ``mbox`` (unmapped)."""
    actor: dict[str, Any] = (
        {"objectType": "Agent", "mbox": f"mailto:{email}"}
        if email is not None
        else {
            "objectType": "Agent",
            "account": {"homePage": "https://lms.example.com", "name": learner},
        }
    )
    verb = rng.choice(("completed", "passed", "failed", "launched"))
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": actor,
        "verb": {"id": f"{ADL}{verb}"},
        "object": {"id": f"https://lms.example.com/items/{item}"},
        "timestamp": f"2026-01-{rng.randint(1, 28):02d}T10:00:00Z",
    }
    if verb in ("passed", "failed"):
        body["result"] = {"score": {"scaled": round(rng.random(), 3)}, "success": verb == "passed"}
    return body
