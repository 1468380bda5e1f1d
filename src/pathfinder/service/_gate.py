"""One pure-ASGI layer in front of every route: admission, body limit, timing, xAPI header.

A single layer instead of Starlette ``BaseHTTPMiddleware`` stacks: no extra task or memory stream
per request, and the body limit also holds for chunked bodies that carry no Content-Length.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from pathfinder.service._metrics import Metrics

__all__ = ["Gate", "GateSettings"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

XAPI_VERSION = "1.0.3"
_EXEMPT = ("/livez", "/readyz", "/metrics")  # probes must answer even when the server sheds load


class GateSettings:
    """Limits the gate enforces (filled from :class:`ServiceSettings` at start-up).

    Parameters
    ----------
    max_body_bytes : int
        Larger request bodies are answered 413 without being read further.
    max_inflight : int
        Requests processed at once; one more is answered 503 with ``Retry-After`` at once
        (load shedding: latency stays bounded instead of queueing without limit).
    metrics : Metrics or None
        Where request latency per route template and status goes.
    """

    def __init__(self, max_body_bytes: int, max_inflight: int, metrics: Metrics | None) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_inflight = max_inflight
        self.metrics = metrics


class Gate:
    """ASGI middleware; reads its :class:`GateSettings` from ``app.state.pathfinder.gate``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "pathfinder", None)
        gate: GateSettings | None = None if state is None else state.gate
        path: str = scope["path"]
        if gate is None or path in _EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.inflight >= gate.max_inflight:
            if gate.metrics is not None:
                gate.metrics.shed.inc()
            await _reply(
                send,
                503,
                f"server busy: more than {gate.max_inflight} requests in flight, retry shortly",
                [(b"retry-after", b"1")],
            )
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > gate.max_body_bytes):
            await _reply(send, 413, _too_large(length, gate.max_body_bytes))
            return

        started = time.perf_counter()
        status = 500
        answered = False
        received = 0
        xapi = path.startswith("/xapi/")

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > gate.max_body_bytes:
                    raise HTTPException(413, _too_large(f"over {received}", gate.max_body_bytes))
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = int(message["status"])
                answered = True
                if xapi:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-experience-api-version", XAPI_VERSION.encode()),
                    ]
            await send(message)

        self.inflight += 1
        try:
            await self.app(scope, limited_receive, tracked_send)
        except HTTPException as err:  # raised by the body limit outside a route's handlers
            if answered or err.status_code != 413:
                raise
            status = 413
            await _reply(send, 413, str(err.detail))
        finally:
            self.inflight -= 1
            if gate.metrics is not None:
                route = scope.get("route")
                gate.metrics.request_seconds.labels(
                    getattr(route, "path", "unmatched"), str(status)
                ).observe(time.perf_counter() - started)


def _too_large(length: str, limit: int) -> str:
    return f"body of {length} bytes exceeds the limit of {limit} bytes"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _reply(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
