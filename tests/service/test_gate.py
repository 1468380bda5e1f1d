"""The ASGI gate in front of every route: load shedding, body limits, timing, xAPI header."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pathfinder.service import new_key
from pathfinder.service._auth import ApiKeys
from pathfinder.service._gate import GateSettings
from pathfinder.service._http import ServiceState, create_app

pytestmark = pytest.mark.anyio


class _Histogram:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, float]] = []

    def labels(self, route: str, status: str) -> Any:
        outer = self

        class _Child:
            def observe(self, value: float) -> None:
                outer.seen.append((route, status, value))

        return _Child()


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def inc(self, n: int = 1) -> None:
        self.value += n


class _Metrics:
    def __init__(self) -> None:
        self.request_seconds = _Histogram()
        self.shed = _Counter()


@pytest.fixture
def app(tmp_path: Path) -> tuple[FastAPI, asyncio.Event, Any]:
    """The real app (no model loaded) plus a slow route that waits until released."""
    _, record = new_key("lms", ("read", "write"))
    (tmp_path / "keys.json").write_text(json.dumps([record.model_dump()]))
    metrics = _Metrics()
    app = create_app()
    app.state.pathfinder = ServiceState(
        ApiKeys.from_file(tmp_path / "keys.json"),
        GateSettings(max_body_bytes=2_000, max_inflight=2, metrics=metrics),  # type: ignore[arg-type]
    )
    release = asyncio.Event()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await release.wait()
        return {"ok": True}

    return app, release, metrics


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_requests_beyond_the_inflight_limit_are_shed_at_once(
    app: tuple[FastAPI, asyncio.Event, Any],
) -> None:
    asgi, release, metrics = app
    async with _client(asgi) as client:
        held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        await asyncio.sleep(0.05)
        shed = await asyncio.wait_for(client.get("/slow"), 5)  # a hang here is a failure
        assert shed.status_code == 503
        assert shed.headers["retry-after"] == "1"
        assert "more than 2 requests in flight" in shed.json()["detail"]
        probe = await client.get("/livez")  # probes are never shed (404 here: no BentoML)
        assert probe.status_code == 404
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await client.get("/slow")).status_code == 200  # recovers once load drops
    assert metrics.shed.value == 1
    statuses = sorted(s for route, s, _ in metrics.request_seconds.seen if route == "/slow")
    assert statuses == ["200", "200", "200"]


async def test_body_over_the_limit_is_413_with_or_without_content_length(
    app: tuple[FastAPI, asyncio.Event, Any],
) -> None:
    asgi, _, metrics = app
    body = json.dumps({"events": [{"event_id": "x" * 3_000}]}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for k in range(0, len(body), 500):
            yield body[k : k + 500]

    async with _client(asgi) as client:
        declared = await client.post("/events", content=body)
        streamed = await client.post("/events", content=chunks())  # chunked: no Content-Length
    assert declared.status_code == streamed.status_code == 413
    assert "exceeds the limit of 2000 bytes" in declared.json()["detail"]
    assert "exceeds the limit of 2000 bytes" in streamed.json()["detail"]
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert [s for _, s, _ in metrics.request_seconds.seen] == ["413"]  # the streamed one


async def test_xapi_routes_carry_the_version_header(
    app: tuple[FastAPI, asyncio.Event, Any],
) -> None:
    asgi, _, _ = app
    async with _client(asgi) as client:
        about = await client.get("/xapi/about")
        other = await client.get("/slow-missing")
    assert about.status_code == 200 and about.headers["x-experience-api-version"] == "1.0.3"
    assert "x-experience-api-version" not in other.headers
