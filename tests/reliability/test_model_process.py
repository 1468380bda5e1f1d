"""The model process dies under the server: recommend falls back, the process comes back.

Each worker runs its model in a child process (``pathfinder.service._worker``). SIGKILL that
child: every recommend still answers 200 (the worker's degraded fallback), readiness stays 200,
a new child is started and serves personalised paths again, following the event store (an
event sent after the restart is reflected), without restarting the server.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tests.reliability.conftest import Deploy

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

MODEL_PROCESS = "multiprocessing.spawn"


def _model_pids(processes: dict[int, str]) -> set[int]:
    return {pid for pid, cmd in processes.items() if MODEL_PROCESS in cmd}


def test_a_killed_model_process_degrades_then_recovers(deploy: Deploy) -> None:
    dep = deploy("sqlite")
    server = dep.server("model-process")
    base = server.start()
    auth = dep.auth()
    learner = dep.learners[3]
    with httpx.Client(base_url=base, timeout=10) as client:

        def recommend() -> dict[str, Any]:
            r = client.post("/recommend", json={"learner_id": learner}, headers=auth)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        before = recommend()
        assert not before["degraded"]
        (child,) = _model_pids(server.processes())
        os.kill(child, signal.SIGKILL)

        answers, ready = [], []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            answers.append(recommend()["degraded"])
            ready.append(client.get("/readyz").status_code)
            if answers[-1] is False and len(answers) > 1:
                break
            time.sleep(0.2)
        assert answers[0] is True, "the first call after the kill must be the fallback"
        assert answers[-1] is False, f"no personalised path within 90 s: {answers[-5:]}"
        assert set(ready) == {200}
        (new_child,) = _model_pids(server.processes())
        assert new_child != child

        # the new child follows the store: a completion sent now is reflected at once
        item = next(s["item_id"] for s in recommend()["steps"] if not s["review"])
        event = {
            "event_id": str(uuid.uuid4()),
            "learner_id": learner,
            "item_id": item,
            "verb": "completed",
            "timestamp": datetime.now(UTC).isoformat(),
        }
        r = client.post("/events", json={"events": [event]}, headers=auth)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        after = recommend()
        assert not after["degraded"]
        assert item not in [s["item_id"] for s in after["steps"] if not s["review"]]
