"""Overload: drive the server past its capacity on a fixed schedule, then back to a light load.

The driver is open loop (request ``k`` is due at ``start + k / rate`` whatever the server does)
on raw asyncio streams with pre-encoded requests, so it costs little CPU and cannot hide a
queue: latency is measured both from the due time and from the moment the request was written.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field

from pathfinder.testing._deploy import Deployment
from pathfinder.testing._load import percentile

__all__ = ["OverloadResult", "Shot", "open_loop", "overload"]


@dataclass(frozen=True)
class Shot:
    """One request: phase, status (None: connection failure or timeout), latencies in ms.

    ``service_ms`` runs from writing the request to the end of the answer; ``due_ms`` from the
    time the schedule said to send it (includes waiting for a connection).
    """

    phase: str
    status: int | None
    service_ms: float
    due_ms: float
    retry_after: bool = False
    detail: str = ""


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


def _encode(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> tuple[int, bool, bytes]:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, retry_after = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"retry-after":
            retry_after = True
    return status, retry_after, await reader.readexactly(length)


async def open_loop(
    port: int,
    payloads: list[bytes],
    rate: float,
    seconds: float,
    phase: str,
    max_connections: int = 256,
    timeout_s: float = 10.0,
) -> list[Shot]:
    """Send ``rate * seconds`` requests on a fixed schedule over keep-alive connections."""
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(max_connections)
    shots: list[Shot] = []
    start = loop.time() + 0.1

    async def one(k: int) -> None:
        due = start + k / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        async with slots:
            conn = idle.pop() if idle else None
            sent = loop.time()
            try:
                if conn is None:
                    conn = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port), timeout_s
                    )
                    sent = loop.time()
                status, retry, body = await asyncio.wait_for(
                    _exchange(*conn, payloads[k % len(payloads)]), timeout_s
                )
                idle.append(conn)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status, retry, body = None, False, b""
                if conn is not None:
                    conn[1].close()
            end = loop.time()
            detail = ""
            if status is not None and status >= 400:
                detail = str(json.loads(body or b"{}").get("detail", ""))[:200]
            shots.append(Shot(phase, status, (end - sent) * 1e3, (end - due) * 1e3, retry, detail))

    await asyncio.gather(*(one(k) for k in range(max(1, int(rate * seconds)))))
    for _, writer in idle:
        writer.close()
    return shots


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
        _encode(
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
