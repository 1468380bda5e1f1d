"""A lean open-loop HTTP/1.1 load driver (raw asyncio streams, keep-alive connections).

Request ``k`` is due at ``start + k / rate`` whatever the server does, and latency is measured
from the due time as well as from the moment the request was written, so a server that falls
behind cannot hide its queue (no coordinated omission). Requests are pre-encoded bytes: the
driver costs tens of microseconds a request and leaves the CPU to the server. The server
benchmark and the overload scenario both drive load with it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Shot", "encode_request", "open_loop"]


def encode_request(
    method: str, path: str, headers: dict[str, str], body: bytes = b"", host: str = "127.0.0.1"
) -> bytes:
    """One HTTP/1.1 keep-alive request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


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


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> tuple[int, bool, bytes]:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, retry_after, chunked = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"retry-after":
            retry_after = True
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, retry_after, await reader.readexactly(length)
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        body += (await reader.readexactly(size + 2))[:-2]
    await reader.readexactly(2)
    return status, retry_after, body


async def open_loop(
    port: int,
    payloads: Sequence[bytes],
    rate: float,
    seconds: float,
    phase: str = "",
    max_connections: int = 256,
    timeout_s: float = 10.0,
    host: str = "127.0.0.1",
) -> list[Shot]:
    """Send ``rate * seconds`` requests (cycling through ``payloads``) on a fixed schedule."""
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(max_connections)
    shots: list[Shot] = []
    start = loop.time() + 0.1

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)

    async def one(k: int) -> None:
        due = start + k / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        payload = payloads[k % len(payloads)]
        async with slots:
            conn = idle.pop() if idle else None
            sent = loop.time()
            try:
                answer = None
                if conn is not None:
                    try:
                        answer = await asyncio.wait_for(_exchange(*conn, payload), timeout_s)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # the server closed this idle keep-alive connection before reading the
                        # request: a new connection, as every HTTP client does
                        conn[1].close()
                        conn = None
                if conn is None:
                    conn = await connect()
                    sent = loop.time()
                    answer = await asyncio.wait_for(_exchange(*conn, payload), timeout_s)
                assert answer is not None
                status, retry, body = answer
                idle.append(conn)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status, retry, body = None, False, b""
                if conn is not None:
                    conn[1].close()
            end = loop.time()
            detail = ""
            if status is not None and status >= 400:
                try:
                    detail = str(json.loads(body or b"{}").get("detail", ""))[:200]
                except ValueError:
                    detail = body[:200].decode(errors="replace")
            shots.append(Shot(phase, status, (end - sent) * 1e3, (end - due) * 1e3, retry, detail))

    await asyncio.gather(*(one(k) for k in range(max(1, int(rate * seconds)))))
    for _, writer in idle:
        writer.close()
    return shots
