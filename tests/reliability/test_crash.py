"""Crash durability: SIGKILL the server repeatedly while clients stream events and statements.

Every acknowledged event and statement is stored exactly once; a request the server never got
(connection refused) stored nothing; a request whose answer was lost in the crash stored all of
its batch or none of it; after the restarts, re-sending every acknowledged batch changes nothing.
"""

from __future__ import annotations

import httpx
import pytest
from tests.reliability.conftest import Deploy

from pathfinder.testing import crash_durability

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

KILLS = 4


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_loses_no_acknowledged_write_and_half_stores_nothing(
    deploy: Deploy, backend: str
) -> None:
    dep = deploy(backend)
    result = crash_durability(dep, kills=KILLS, seed=6)
    outcomes = result.recorder.outcomes()
    assert result.kills == KILLS
    rec = result.recorder
    assert rec.server_errors(allowed=[503]) == 0, rec.errors  # no 5xx but "still starting"
    assert {s.phase for s in rec.select(outcome=503)} <= {f"restart-{k}" for k in range(KILLS)}
    assert set(outcomes) <= {200, 503, "refused", "lost"}, outcomes  # nothing rejected as invalid
    assert outcomes["lost"] >= 1  # some kills did land mid-request
    for kind in ("events", "statements"):
        assert len(result.acknowledged_ids(kind)) >= 100, kind
        assert result.missing_acknowledged(kind) == 0, kind
    assert result.stored_twice() == 0
    assert result.half_stored() == 0
    assert result.refused_but_stored() == 0
    assert result.unmatched_statement_events() == 0  # a statement and its event: both or neither
    assert result.phantoms() == 0
    acked_events = len(result.acknowledged_ids("events"))
    acked_statements = [b for b in result.batches if b.kind == "statements" and b.acknowledged]
    assert result.resent["accepted"] == 0 and result.resent["duplicates"] == acked_events
    assert result.resent["statements_same_ids"] == len(acked_statements)


def test_a_rejected_statement_batch_stores_nothing(deploy: Deploy) -> None:
    """xAPI: a batch with one conflicting statement is refused whole (409), nothing stored."""
    dep = deploy("sqlite")
    server = dep.server("xapi-batch")
    base = server.start()
    headers = {**dep.auth(), "X-Experience-API-Version": "1.0.3"}
    first = {
        "actor": {"account": {"homePage": "https://lms.example.com", "name": dep.learners[0]}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"https://lms.example.com/items/{dep.items[0]}"},
        "timestamp": "2026-01-05T10:00:00Z",
        "id": "0f6c1f86-3a35-4b4e-9b0e-6f1c6e1c2a01",
    }
    fresh = {**first, "id": "0f6c1f86-3a35-4b4e-9b0e-6f1c6e1c2a02"}
    clash = {**first, "timestamp": "2026-01-06T10:00:00Z"}
    with httpx.Client(base_url=base, headers=headers) as client:
        assert client.post("/xapi/statements", json=[first]).status_code == 200
        r = client.post("/xapi/statements", json=[fresh, clash])
        assert r.status_code == 409, r.text
        got = client.get("/xapi/statements", params={"statementId": fresh["id"]})
        assert got.status_code == 404
    store = dep.store()
    try:
        assert (store.count_statements(), store.count_events()) == (1, 1)
    finally:
        store.close()
