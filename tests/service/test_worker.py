"""The model process, driven directly: pipelined calls, request errors, a hung child replaced."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pathfinder.data import World
from pathfinder.errors import UnknownLearnerError
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest
from pathfinder.service import _worker
from pathfinder.service._worker import ModelProcess, ModelUnavailable, ProcessCore
from pathfinder.store import open_store

pytestmark = pytest.mark.slow
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def bundle(tiny_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Recommender().fit(tiny_world).save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop in a thread for the whole test, as a server's worker has."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(120)


@pytest.fixture
def core(loop: asyncio.AbstractEventLoop, bundle: Path, tmp_path: Path) -> Iterator[ProcessCore]:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    model = ModelProcess(bundle, url, None)
    rec = Recommender.load(bundle)
    model.wait_loaded(rec.model_version)
    core = ProcessCore(rec, open_store(url), model, deadline_s=5.0)
    yield core
    core.close()
    core.store.close()


def _request(learner: str) -> RecommendRequest:
    return RecommendRequest(learner_id=learner, max_steps=3)


def test_concurrent_calls_share_one_connection_and_match_in_process(
    loop: asyncio.AbstractEventLoop, core: ProcessCore
) -> None:
    learners = core.recommender.registry_.ids[:8]

    async def run() -> tuple[list[tuple[bytes, bool]], int]:
        answers = await asyncio.gather(*(core.recommend_body(_request(lid)) for lid in learners))
        readers = [t for t in asyncio.all_tasks() if "_read_answers" in repr(t.get_coro())]
        return answers, len(readers)

    answers, readers = _run(loop, run())
    assert readers == 1
    local = Recommender.load(core.model._args[0])
    for lid, (body, degraded) in zip(learners, answers, strict=True):
        assert not degraded
        path = [s["item_id"] for s in json.loads(body)["steps"]]
        assert path == [s.item_id for s in local.recommend(_request(lid)).steps]


def test_request_errors_come_back_as_themselves(
    loop: asyncio.AbstractEventLoop, core: ProcessCore
) -> None:
    with pytest.raises(UnknownLearnerError, match="nobody"):
        _run(loop, core.recommend_body(_request("nobody")))


def test_a_hung_model_process_is_killed_and_replaced(
    loop: asyncio.AbstractEventLoop, core: ProcessCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_worker, "HUNG_AFTER_S", 0.5)
    learner = core.recommender.registry_.ids[0]
    old = core.model._proc
    os.kill(old.pid, signal.SIGSTOP)  # alive, answering nothing

    async def run() -> list[bool]:
        degraded = []
        stuck = asyncio.ensure_future(core.model.call(_worker._RECOMMEND, b"{}"))
        with pytest.raises(TimeoutError):  # the caller's deadline; the call stays pending
            await asyncio.wait_for(asyncio.shield(stuck), 0.3)
        await asyncio.sleep(0.6)
        with pytest.raises(ModelUnavailable, match="hung"):
            await core.model.call(_worker._RECOMMEND, _request(learner).model_dump_json().encode())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, was_degraded = await core.recommend_body(_request(learner))
            degraded.append(was_degraded)
            if not was_degraded:
                break
            await asyncio.sleep(0.2)
        with pytest.raises(ModelUnavailable, match="exited"):
            await stuck
        return degraded

    degraded = _run(loop, run())
    assert degraded[-1] is False, "no personalised answer from a new model process within 60 s"
    assert not old.is_alive() and core.model._proc.pid != old.pid
