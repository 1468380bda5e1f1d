"""A lean open-loop HTTP/1.1 load generator (raw asyncio streams, keep-alive connections).

Requests are sent on a fixed schedule (request ``k`` is due at ``start + k / rate``) whatever the
server does, and latency is measured from the *due* time, so a server that falls behind cannot
hide its queue (no coordinated omission). Requests are pre-encoded bytes, so the generator costs
tens of microseconds per request and leaves the CPU to the server.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LoadResult", "encode_request", "fixed_rate"]


def encode_request(
    method: str, path: str, headers: dict[str, str], body: bytes = b"", host: str = "127.0.0.1"
) -> bytes:
    """One HTTP/1.1 keep-alive request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class LoadResult:
    """Latencies (ms, from each request's due time) and outcomes of one fixed-rate run."""

    latency_ms: np.ndarray
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # connection errors and timeouts

    def errors(self) -> int:
        """Failures plus every answer that is not 2xx."""
        return self.failures + sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    def p(self, q: float) -> float:
        return float(np.percentile(self.latency_ms, q)) if len(self.latency_ms) else float("nan")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status


async def _run(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    seconds: float,
    max_connections: int,
    timeout_s: float,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    n = max(1, int(rate * seconds))
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(max_connections)
    latency = np.full(n, np.nan)
    result = LoadResult(latency)
    start = loop.time() + 0.2

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)

    async def one(k: int) -> None:
        due = start + k / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        payload = requests[k % len(requests)]
        async with slots:
            conn = idle.pop() if idle else None
            try:
                if conn is not None:
                    try:
                        status = await asyncio.wait_for(_exchange(*conn, payload), timeout_s)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # the server closed this idle keep-alive connection: a new one, as
                        # every HTTP client does (nothing was answered, so nothing is repeated)
                        conn[1].close()
                        conn = None
                if conn is None:
                    conn = await connect()
                    status = await asyncio.wait_for(_exchange(*conn, payload), timeout_s)
                result.statuses[status] += 1
                idle.append(conn)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                result.failures += 1
                if conn is not None:
                    conn[1].close()
            latency[k] = (loop.time() - due) * 1e3

    await asyncio.gather(*(one(k) for k in range(n)))
    for _, writer in idle:
        writer.close()
    return result


def fixed_rate(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    seconds: float,
    max_connections: int = 256,
    timeout_s: float = 5.0,
) -> LoadResult:
    """Send ``rate × seconds`` requests (cycling through ``requests``) on a fixed schedule."""
    return asyncio.run(_run(host, port, requests, rate, seconds, max_connections, timeout_s))
