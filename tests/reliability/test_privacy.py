"""Privacy: no learner id, key or e-mail in clear in any log line; erasure leaves no trace.

The servers of the whole tier log at debug level and the ``deploy`` fixture scans every line
they wrote (see conftest.py); this module drives every route with a known learner, a cold-start
learner, an e-mail actor and bad credentials, then checks the erased learner is gone from the
store's tables (and, for SQLite, from the database file's bytes), from the online state of the
server and of a fresh server process, and from a newly written forecast.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pytest
from tests.reliability.conftest import Deploy

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.forecast import ForecastConfig, apply_new_evidence, run_forecast
from pathfinder.recommender import Recommender
from pathfinder.store import open_store
from pathfinder.testing import Deployment, events_batch
from pathfinder.testing._deploy import EMAIL, find_leaks

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

XAPI = {"X-Experience-API-Version": "1.0.3"}
MAIL = "grace.hopper@example.com"


def _rows(dep: Deployment) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the deployment's namespace, read with plain SQL."""
    if dep.backend == "sqlite":
        with sqlite3.connect(dep.store_url.removeprefix("sqlite:///")) as conn:
            names = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if r[0].startswith(f"{dep.namespace}_")
            ]
            out = {n: conn.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}
        conn.close()
        return out
    with psycopg.connect(dep.store_url, autocommit=True) as pg:
        names = [
            r[0]
            for r in pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (dep.namespace,),
            )
        ]
        return {n: pg.execute(f'SELECT * FROM "{dep.namespace}"."{n}"').fetchall() for n in names}


def _cells_with(rows: dict[str, list[tuple[Any, ...]]], needle: str) -> list[str]:
    return [
        f"{table}: {row}"
        for table, table_rows in rows.items()
        for row in table_rows
        if any(needle in str(cell) for cell in row)
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_route_at_debug_logs_no_personal_data_and_erasure_leaves_no_trace(
    deploy: Deploy, tiny_world: World, backend: str
) -> None:
    newcomer = f"pii-{uuid.uuid4().hex[:10]}"  # a cold-start learner the model never saw
    stranger = f"pii-{uuid.uuid4().hex[:10]}"  # unknown, no role: 404
    dep = deploy(backend, ids=[newcomer, stranger])
    learner = str(tiny_world.events[C.LEARNER_ID].value_counts().index[0])
    row = tiny_world.learners.set_index(C.LEARNER_ID).loc[learner]
    server = dep.server("privacy")
    base = server.start()
    item = dep.items[0]
    lms, ops = dep.auth(), dep.auth("ops")
    statement = {
        "actor": {"account": {"homePage": "https://lms.example.com", "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": f"https://lms.example.com/items/{item}"},
        "result": {"score": {"scaled": 0.9}, "success": True},
        "timestamp": "2026-01-05T10:00:00Z",
    }
    by_mail = {**statement, "actor": {"mbox": f"mailto:{MAIL}", "name": "Grace Hopper"}}
    others = [i for i in dep.learners if i != learner][:5]
    events = events_batch(random.Random(1), [learner, newcomer, *others], dep.items, 40)
    cold_start = {"learner_id": newcomer, "role": str(row[C.ROLE]), "region": str(row[C.REGION])}
    with httpx.Client(base_url=base, timeout=30) as client:
        ok = [
            client.post("/recommend", json={"learner_id": learner}, headers=lms),
            client.post("/recommend", json=cold_start, headers=lms),
            client.post("/events", json={"events": events}, headers=lms),
            client.post(
                "/assessments",
                json={
                    "assessments": [
                        {
                            "learner_id": learner,
                            "skill_id": dep.skills[0],
                            "score": 0.4,
                            "assessed_at": "2026-01-05T10:00:00Z",
                            "method": "test",
                        }
                    ]
                },
                headers=lms,
            ),
            client.get(f"/learners/{learner}/gaps", headers=lms),
            client.post("/xapi/statements", json=[statement, by_mail], headers={**lms, **XAPI}),
            client.get("/xapi/about"),
        ]
        assert [r.status_code for r in ok] == [200] * len(ok), [r.text for r in ok]
        sid = ok[5].json()[0]
        got = client.get(
            "/xapi/statements",
            params={"statementId": sid},
            auth=("lms", dep.keys["lms"]),
            headers=XAPI,
        )
        assert got.status_code == 200
        bad_key = {"Authorization": "Bearer nope"}
        unknown_item = {**events[0], "item_id": "nope"}
        refused = [
            client.post("/recommend", json={"learner_id": stranger}, headers=lms),  # 404
            client.post("/recommend", json={"learner_id": learner}, headers=bad_key),
            client.post("/recommend", json={"learner_id": learner}, auth=("lms", "wrong")),
            client.post("/events", json={"events": [unknown_item]}, headers=lms),
            client.delete(f"/learners/{learner}", headers=lms),  # 403: needs admin
        ]
        assert [r.status_code for r in refused] == [404, 401, 401, 422, 403]
        before = client.post("/recommend", json={"learner_id": learner}, headers=lms).json()
        assert not before["cold_start"]
        erased = client.delete(f"/learners/{learner}", headers=ops)
        assert erased.status_code == 200, erased.text
        counts = erased.json()
        assert counts["statements"] == 1 and counts["assessments"] >= 2 and counts["events"] >= 2
        assert client.delete(f"/learners/{newcomer}", headers=ops).status_code == 200
        # the online state: no personalised output for either, in this process...
        after = client.post("/recommend", json={"learner_id": learner}, headers=lms).json()
        assert after["cold_start"] and after["learner_id"] == learner
        gone = client.post("/recommend", json=cold_start, headers=lms).json()
        assert gone["cold_start"]
    # ... and in a fresh process, which loads the bundle that was trained on the learner
    server.kill()  # no clean shutdown: SQLite's write-ahead log stays as it was
    server.start()
    with httpx.Client(base_url=base, timeout=30) as client:
        fresh = client.post("/recommend", json={"learner_id": learner}, headers=lms).json()
        assert fresh["cold_start"]
    server.kill()
    # the store: no cell names either learner; the learner's hash only in the erasure log
    rows = _rows(dep)
    assert sum(len(r) for r in rows.values()) > 20  # the other learner's rows are still there
    assert _cells_with(rows, learner) == []
    assert _cells_with(rows, newcomer) == []
    store = dep.store()
    try:
        digest = store.learner_hash(learner)
    finally:
        store.close()
    assert [c.split(":")[0] for c in _cells_with(rows, digest)] == [
        ("" if backend == "postgresql" else f"{dep.namespace}_") + "erasures"
    ]
    assert any(MAIL in c for c in _cells_with(rows, MAIL))  # not a learner id: kept as sent
    if backend == "sqlite":  # deleted rows must not linger in free pages or the WAL either
        path = Path(dep.store_url.removeprefix("sqlite:///"))
        for file in [path, path.with_name(path.name + "-wal")]:
            if file.exists():
                assert learner.encode() not in file.read_bytes(), file.name
    # the logs: nothing in clear (the fixture checks again at teardown, for every test)
    assert dep.leaks([newcomer, stranger]) == []


def test_the_leak_scan_finds_ids_keys_and_emails(tmp_path: Path) -> None:
    """The scanner itself: whole-word ids, keys anywhere, any e-mail address."""
    log = tmp_path / "server.log"
    log.write_text(
        "GET /learners/l000007/gaps 200\n"
        "learner l0000071 is another id\n"
        "Authorization: Bearer s3cr3t-key\n"
        "actor mailto:ada@example.org\n"
        "nothing here\n"
    )
    found = find_leaks([log], ["l000007"], ["s3cr3t-key"])
    assert [(f.line, f.kind) for f in found] == [(1, "learner id"), (3, "API key"), (4, "e-mail")]
    assert EMAIL.search("x@y.example") and not EMAIL.search("a@b")


def test_in_process_debug_logs_hold_no_learner_ids(
    tiny_world: World, bundle: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The library side at debug level (what pytest captures): ingest, recommend, erase."""
    from pathfinder.schemas import RecommendRequest
    from pathfinder.service import EventIn, ServiceCore

    caplog.set_level(logging.DEBUG)
    learner = str(tiny_world.events[C.LEARNER_ID].value_counts().index[1])
    core = ServiceCore(Recommender.load(bundle), open_store(f"sqlite:///{tmp_path / 'e.db'}"))
    request = RecommendRequest(learner_id=learner)
    try:
        items = [str(i) for i in tiny_world.catalog[C.ITEM_ID][:5]]
        rows = events_batch(random.Random(2), [learner], items, 5)
        core.ingest_events([EventIn.model_validate(r) for r in rows])
        core.recommend(request)

        def broken(req: RecommendRequest) -> None:
            raise RuntimeError("model failure")

        healthy = core.recommender.recommend
        core.recommender.recommend = broken  # type: ignore[method-assign,assignment]
        assert core.recommend(request).degraded  # logged with its traceback
        core.recommender.recommend = healthy  # type: ignore[method-assign]
        core.erase(learner)
        core.store.close()
        assert core.recommend(request).cold_start  # logs the store outage
    finally:
        core.close()
    assert len(caplog.records) >= 2  # debug logging was on and the failures were logged
    formatter = logging.Formatter()
    text = "\n".join(formatter.format(r) for r in caplog.records)
    assert learner not in text, text


def test_a_forecast_written_after_erasure_has_no_row_of_the_learner(
    tiny_world: World, tiny_dir: Path, bundle: Path, tmp_path: Path
) -> None:
    """Newly written forecasts (``pathfinder forecast --store``) leave an erased learner out."""
    learner = str(tiny_world.learners[C.LEARNER_ID].iloc[0])
    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = open_store(url)
    try:
        item = str(tiny_world.catalog[C.ITEM_ID].iloc[0])
        rows = events_batch(random.Random(3), [learner], [item], 3)
        when = datetime(2026, 1, 5, tzinfo=UTC)
        store.append_events([{**e, C.TIMESTAMP: when, C.SCORE: None, C.RATING: None} for e in rows])
        store.erase_learner(learner)  # what DELETE /learners/{id} does
    finally:
        store.close()
    rec = Recommender.load(bundle)
    apply_new_evidence(rec, tiny_world, url)
    result = run_forecast(rec, tiny_world, ForecastConfig(horizons=(30,)), tmp_path / "forecast")
    rows = pd.read_parquet(result.out / "learner_skill")
    assert len(rows) > 0
    assert learner not in set(rows[C.LEARNER_ID].astype(str))
