"""Overload: drive the server past its capacity on a fixed schedule, then back to a light load.

The driver is :func:`~pathfinder.testing._openloop.open_loop`: a fixed schedule whatever the
server does, latency measured both from the due time and from the moment the request was written.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field

from pathfinder.testing._deploy import Deployment
from pathfinder.testing._load import percentile
from pathfinder.testing._openloop import Shot, encode_request, open_loop

__all__ = ["OverloadResult", "overload"]


@dataclass
class OverloadResult:
    """Every request of the three phases (``normal``, ``overload``, ``after``)."""

    max_inflight: int
    rates: dict[str, float]
    shots: list[Shot] = field(default_factory=list)

    def of(self, phase: str, status: int | None = -1) -> list[Shot]:
        """Shots of a phase, optionally of one status (-1: any)."""
        return [s for s in self.shots if s.phase == phase and (status == -1 or s.status == status)]

    def p(self, q: float, phase: str, status: int | None = -1, due: bool = False) -> float:
        rows = self.of(phase, status)
        return percentile((s.due_ms if due else s.service_ms for s in rows), q)

    def server_errors(self) -> int:
        """5xx answers other than the documented 503 (load shed or store unavailable)."""
        return sum(1 for s in self.shots if s.status is not None and 500 <= s.status != 503)

    def failures(self) -> int:
        """Connection failures and timeouts (the server must answer every request)."""
        return sum(1 for s in self.shots if s.status is None)


def overload(
    dep: Deployment,
    max_inflight: int = 4,
    light_rate: float = 20.0,
    heavy_rate: float = 600.0,
    seconds: tuple[float, float, float] = (3.0, 6.0, 3.0),
    seed: int = 0,
    debug: bool = True,
) -> OverloadResult:
    """``POST /recommend`` at ``light_rate``, then ``heavy_rate`` (far past capacity), then
    ``light_rate`` again, against one server with ``PATHFINDER_MAX_INFLIGHT=max_inflight``."""
    server = dep.server("overload", debug=debug, max_inflight=str(max_inflight))
    server.start()
    rng = random.Random(seed)
    headers = {**dep.auth(), "Content-Type": "application/json"}
    payloads = [
        encode_request(
            "POST",
            "/recommend",
            headers,
            json.dumps({"learner_id": rng.choice(dep.learners), "max_steps": 5}).encode(),
        )
        for _ in range(200)
    ]
    rates = {"normal": light_rate, "overload": heavy_rate, "after": light_rate}
    result = OverloadResult(max_inflight, rates)
    try:
        for (phase, rate), secs in zip(rates.items(), seconds, strict=True):
            result.shots += asyncio.run(open_loop(server.port, payloads, rate, secs, phase))
    finally:
        server.stop()
    return result
