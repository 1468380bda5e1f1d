"""The real BentoML server over HTTP (subprocess, free port): routes, auth, input errors."""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.recommender import Recommender
from pathfinder.service import new_key
from pathfinder.service._launch import ServerProcess, running_server
from pathfinder.store import open_store

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
FAULTS = Path(__file__).parent / "faults"  # sitecustomize that injects faults into the server


def _failing_learner(world: World) -> str:
    """The learner for whom the server's model is made to raise (see faults/sitecustomize.py)."""
    return str(world.events[C.LEARNER_ID].value_counts().index[7])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tiny_world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The server with each event store: embedded SQLite and the real PostgreSQL."""
    tmp = tmp_path_factory.mktemp("server")
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    store_url = f"sqlite:///{tmp / 'events.db'}" if request.param == "sqlite" else POSTGRES
    bundle = Recommender().fit(tiny_world).save(tmp / "model")
    keys = {}
    records = []
    for key_id, scopes in (("lms", ("read", "write")), ("reader", ("read",)), ("ops", ("admin",))):
        key, record = new_key(key_id, scopes)
        keys[key_id] = key
        records.append(record.model_dump())
    (tmp / "keys.json").write_text(json.dumps(records))
    env = {
        "PATHFINDER_MODEL": str(bundle),
        "PATHFINDER_STORE_URL": store_url,
        "PATHFINDER_STORE_NAMESPACE": namespace,
        "PATHFINDER_API_KEYS_FILE": str(tmp / "keys.json"),
        "BENTOML_HOME": str(tmp / "bentoml"),
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONPATH": str(FAULTS),
        "PATHFINDER_TEST_FAILING_LEARNER": _failing_learner(tiny_world),
    }
    try:
        with running_server(ROOT, env, tmp / "server.log") as base:
            yield {"base": base, "bundle": str(bundle), "env": json.dumps(env), **keys}
    finally:
        open_store(store_url, namespace=namespace).drop_all()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_needs_no_key(server: dict[str, str]) -> None:
    assert httpx.get(f"{server['base']}/livez").status_code == 200
    assert httpx.get(f"{server['base']}/readyz").status_code == 200
    assert httpx.get(f"{server['base']}/metrics").status_code == 200


def test_recommend_then_complete_then_recommend(server: dict[str, str], tiny_world: World) -> None:
    base = server["base"]
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[0])
    r = httpx.post(
        f"{base}/recommend", json={"learner_id": lid, "max_steps": 4}, headers=_auth(server["lms"])
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["learner_id"] == lid and not body["degraded"] and 1 <= len(body["steps"]) <= 4
    first = body["steps"][0]["item_id"]
    event = {
        "event_id": str(uuid.uuid4()),
        "learner_id": lid,
        "item_id": first,
        "verb": "completed",
        "timestamp": "2025-07-01T10:00:00Z",
    }
    w = httpx.post(f"{base}/events", json={"events": [event]}, headers=_auth(server["lms"]))
    assert w.status_code == 200 and w.json() == {"accepted": 1, "duplicates": 0}
    again = httpx.post(f"{base}/events", json={"events": [event]}, headers=_auth(server["lms"]))
    assert again.json() == {"accepted": 0, "duplicates": 1}
    clash = httpx.post(
        f"{base}/events",
        json={"events": [{**event, "verb": "skipped"}]},
        headers=_auth(server["lms"]),
    )
    assert clash.status_code == 409 and clash.json()["event_ids"] == [event["event_id"]]
    after = httpx.post(
        f"{base}/recommend", json={"learner_id": lid, "max_steps": 4}, headers=_auth(server["lms"])
    ).json()
    assert first not in [s["item_id"] for s in after["steps"] if not s["review"]]


@pytest.mark.parametrize(
    ("path", "body", "key", "status", "needle"),
    [
        ("/recommend", {"learner_id": "x"}, None, 401, "API key"),
        ("/recommend", {"learner_id": "x"}, "wrong", 401, "API key"),
        ("/events", {"events": []}, "reader", 403, "'write' scope"),
        ("/recommend", {"learner_id": "nobody"}, "lms", 404, "send 'role' and 'region'"),
        ("/recommend", {"learner_id": "x", "max_steps": 500}, "lms", 422, "max_steps"),
        ("/recommend", {"learner_id": "x", "colour": "red"}, "lms", 422, "colour"),
        ("/events", {"events": [{"event_id": "nope"}]}, "lms", 422, "event_id"),
    ],
)
def test_auth_and_bad_input(
    server: dict[str, str],
    path: str,
    body: dict[str, object],
    key: str | None,
    status: int,
    needle: str,
) -> None:
    headers = {} if key is None else _auth(server.get(key, key))
    r = httpx.post(f"{server['base']}{path}", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert needle in r.text


def test_too_large_body_is_413(server: dict[str, str]) -> None:
    r = httpx.post(
        f"{server['base']}/events",
        content=b"x" * 2_000_000,
        headers={**_auth(server["lms"]), "content-type": "application/json"},
    )
    assert r.status_code == 413


def test_erase_needs_admin_and_removes_the_learner(
    server: dict[str, str], tiny_world: World
) -> None:
    base = server["base"]
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[1])
    assert httpx.delete(f"{base}/learners/{lid}", headers=_auth(server["lms"])).status_code == 403
    r = httpx.delete(f"{base}/learners/{lid}", headers=_auth(server["ops"]))
    assert r.status_code == 200
    after = httpx.post(
        f"{base}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"])
    ).json()
    assert after["cold_start"]


XAPI = {"X-Experience-API-Version": "1.0.3"}


def _basic(key_id: str, key: str) -> tuple[str, str]:
    return (key_id, key)


def test_xapi_post_put_get_about_and_conflict(server: dict[str, str], tiny_world: World) -> None:
    base, auth = server["base"], _basic("lms", server["lms"])
    about = httpx.get(f"{base}/xapi/about")
    assert about.status_code == 200 and "1.0.3" in about.json()["version"]
    assert about.headers["X-Experience-API-Version"] == "1.0.3"
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[2])
    item = str(tiny_world.catalog[C.ITEM_ID].iloc[3])
    stmt = {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://lms.example.com", "name": lid},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"https://lms.example.com/items/{item}"},
        "timestamp": "2025-07-02T10:00:00Z",
    }
    posted = httpx.post(
        f"{base}/xapi/statements",
        json=[stmt, {**stmt, "verb": {"id": "http://adlnet.gov/expapi/verbs/launched"}}],
        auth=auth,
        headers=XAPI,
    )
    assert posted.status_code == 200, posted.text
    ids = posted.json()
    assert len(ids) == 2 and all(len(i) == 36 for i in ids)
    got = httpx.get(
        f"{base}/xapi/statements", params={"statementId": ids[0]}, auth=auth, headers=XAPI
    )
    assert got.status_code == 200 and got.json()["actor"]["account"]["name"] == lid
    sid = str(uuid.uuid4())
    put = httpx.put(
        f"{base}/xapi/statements", params={"statementId": sid}, json=stmt, auth=auth, headers=XAPI
    )
    assert put.status_code == 204
    again = httpx.put(
        f"{base}/xapi/statements", params={"statementId": sid}, json=stmt, auth=auth, headers=XAPI
    )
    assert again.status_code == 204
    clash = httpx.put(
        f"{base}/xapi/statements",
        params={"statementId": sid},
        json={**stmt, "timestamp": "2025-07-03T10:00:00Z"},
        auth=auth,
        headers=XAPI,
    )
    assert clash.status_code == 409
    unknown = {**stmt, "object": {"id": "https://lms.example.com/items/nothing"}}
    flagged = httpx.post(f"{base}/xapi/statements", json=unknown, auth=auth, headers=XAPI)
    assert flagged.status_code == 200  # stored and flagged, never dropped
    stored = httpx.get(
        f"{base}/xapi/statements",
        params={"statementId": flagged.json()[0]},
        auth=auth,
        headers=XAPI,
    )
    assert stored.status_code == 200
    # the completion reached the model: the item is no longer recommended to the learner
    path = httpx.post(
        f"{base}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"])
    ).json()
    assert item not in [s["item_id"] for s in path["steps"] if not s["review"]]


@pytest.mark.parametrize(("headers", "auth", "status"), [({}, True, 400), (XAPI, False, 401)])
def test_xapi_version_header_and_auth(
    server: dict[str, str], headers: dict[str, str], auth: bool, status: int
) -> None:
    r = httpx.get(
        f"{server['base']}/xapi/statements",
        params={"statementId": str(uuid.uuid4())},
        headers=headers,
        auth=_basic("lms", server["lms"]) if auth else None,
    )
    assert r.status_code == status, r.text


def test_metrics_count_requests_fallbacks_and_events(
    server: dict[str, str], tiny_world: World
) -> None:
    base = server["base"]
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[4])
    httpx.post(f"{base}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"]))
    item = str(tiny_world.catalog[C.ITEM_ID].iloc[5])
    event = {
        "event_id": str(uuid.uuid4()),
        "learner_id": lid,
        "item_id": item,
        "verb": "launched",
        "timestamp": "2025-07-01T10:00:00Z",
    }
    httpx.post(f"{base}/events", json={"events": [event]}, headers=_auth(server["lms"]))
    text = httpx.get(f"{base}/metrics").text
    assert 'pathfinder_request_seconds_count{route="/recommend",status="200"}' in text
    assert 'pathfinder_events_total{outcome="accepted"}' in text
    assert "pathfinder_fallbacks_total" in text


def test_failed_reload_keeps_the_old_model_serving(
    server: dict[str, str], tiny_world: World
) -> None:
    base, bundle = server["base"], Path(server["bundle"])
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[5])
    assert httpx.post(f"{base}/admin/reload", headers=_auth(server["lms"])).status_code == 403
    ok = httpx.post(f"{base}/admin/reload", headers=_auth(server["ops"]))
    assert ok.status_code == 200 and ok.json()["model_version"].startswith("synthetic-1-")
    ranker = bundle / "ranker.txt"
    original = ranker.read_bytes()
    try:
        ranker.write_bytes(original[: len(original) // 2])  # truncated: checksum mismatch
        bad = httpx.post(f"{base}/admin/reload", headers=_auth(server["ops"]))
        assert bad.status_code == 422
        assert "old model keeps serving" in bad.text and "ranker.txt is corrupt" in bad.text
        r = httpx.post(f"{base}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"]))
        assert r.status_code == 200 and not r.json()["degraded"]
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        ranker.write_bytes(original)


def _fallbacks(base: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith("pathfinder_fallbacks_total "):
            return float(line.split()[1])
    return 0.0


def test_model_failure_serves_the_degraded_fallback(
    server: dict[str, str], tiny_world: World
) -> None:
    base, lid = server["base"], _failing_learner(tiny_world)
    before = _fallbacks(base)
    r = httpx.post(
        f"{base}/recommend", json={"learner_id": lid, "max_steps": 4}, headers=_auth(server["lms"])
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["degraded"] is True and 1 <= len(body["steps"]) <= 4
    learner = tiny_world.learners.set_index(C.LEARNER_ID).loc[lid]
    (region,) = [r for r in tiny_world.framework.regions if r.id == learner[C.REGION]]
    langs = set(region.languages)
    assert all(s["language"] in langs for s in body["steps"])  # framework rules still hold
    assert _fallbacks(base) == before + 1
    other = str(tiny_world.events[C.LEARNER_ID].value_counts().index[6])
    ok = httpx.post(f"{base}/recommend", json={"learner_id": other}, headers=_auth(server["lms"]))
    assert ok.status_code == 200 and ok.json()["degraded"] is False


def test_readiness_before_and_after_the_model_loads(
    server: dict[str, str], tiny_world: World, tmp_path: Path
) -> None:
    env = {**json.loads(server["env"]), "PATHFINDER_TEST_LOAD_DELAY_S": "4"}
    env["PATHFINDER_STORE_URL"] = f"sqlite:///{tmp_path / 'events.db'}"
    proc = ServerProcess(ROOT, env, tmp_path / "server.log")
    try:
        base = proc.start(wait_ready=False)
        assert httpx.get(f"{base}/livez").status_code == 200
        assert httpx.get(f"{base}/readyz").status_code == 503
        early = httpx.post(
            f"{base}/recommend", json={"learner_id": "x"}, headers=_auth(server["lms"])
        )
        assert early.status_code == 503 and "still loading" in early.json()["detail"]
        assert early.headers["retry-after"] == "1"
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.2)
        lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[6])
        late = httpx.post(
            f"{base}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"])
        )
        assert late.status_code == 200 and late.json()["degraded"] is False
    finally:
        proc.stop()


def test_a_model_that_fails_to_load_reports_the_service_dead(
    server: dict[str, str], tmp_path: Path
) -> None:
    env = {**json.loads(server["env"]), "PATHFINDER_MODEL": str(tmp_path / "no-such-bundle")}
    env["PATHFINDER_STORE_URL"] = f"sqlite:///{tmp_path / 'events.db'}"
    proc = ServerProcess(ROOT, env, tmp_path / "server.log")
    try:
        with pytest.raises(RuntimeError, match="server did not become ready"):
            proc.start()
    finally:
        proc.stop()
    assert "model load failed" in (tmp_path / "server.log").read_text()


def test_the_example_lms_client_sends_statements_and_gets_a_path(
    server: dict[str, str],
    tiny_world: World,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = importlib.util.spec_from_file_location("lms_client", ROOT / "examples/lms_client.py")
    assert spec is not None and spec.loader is not None
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[9])
    before = httpx.post(
        f"{server['base']}/recommend", json={"learner_id": lid}, headers=_auth(server["lms"])
    ).json()
    item = before["steps"][0]["item_id"]
    args = ["--url", server["base"], "--key-id", "lms"]
    monkeypatch.setenv("PATHFINDER_KEY", server["lms"])  # the key from the environment
    assert client.main([*args, "--learner", lid, "--item", item]) == 0
    out = capsys.readouterr().out
    assert "xAPI versions: 1.0.3" in out and f"path for {lid}" in out
    ids = out.split("statements stored: ")[1].splitlines()[0].split(", ")
    assert len(ids) == 2
    stored = httpx.get(
        f"{server['base']}/xapi/statements",
        params={"statementId": ids[1]},
        auth=("lms", server["lms"]),
        headers=XAPI,
    )
    assert stored.json()["verb"]["id"].endswith("/completed")
    steps = client.run(server["base"], "lms", server["lms"], lid, item)  # sends two more
    assert item not in [s["item_id"] for s in steps if not s["review"]]  # completion reflected
    assert client.main([*args, "--key", "wrong-key", "--learner", lid, "--item", item]) == 1
    assert "answered 401" in capsys.readouterr().err


def test_assessment_moves_the_learner_gaps(server: dict[str, str], tiny_world: World) -> None:
    base, auth = server["base"], _auth(server["lms"])
    lid = str(tiny_world.events[C.LEARNER_ID].value_counts().index[10])
    before = httpx.get(f"{base}/learners/{lid}/gaps", headers=auth)
    assert before.status_code == 200, before.text
    gap = max(before.json(), key=lambda g: g["gap"])
    assert gap["gap"] > 0.1
    row = {
        "learner_id": lid,
        "skill_id": gap["skill"],
        "score": 0.98,
        # now: the latest evidence of the module (other tests send statements timed now)
        "assessed_at": datetime.now(UTC).isoformat(),
        "method": "test",
    }
    w = httpx.post(f"{base}/assessments", json={"assessments": [row, row]}, headers=auth)
    assert w.status_code == 200 and w.json() == {"accepted": 2, "duplicates": 0}
    after = {g["skill"]: g for g in httpx.get(f"{base}/learners/{lid}/gaps", headers=auth).json()}
    moved = after.get(gap["skill"])
    assert moved is None or moved["current"] > gap["current"] + 0.05  # closed, or much smaller
    bad = httpx.post(
        f"{base}/assessments", json={"assessments": [{**row, "score": 1.5}]}, headers=auth
    )
    assert bad.status_code == 422 and "score" in bad.text
    unknown = httpx.post(
        f"{base}/assessments", json={"assessments": [{**row, "skill_id": "juggling"}]}, headers=auth
    )
    assert unknown.status_code == 422 and "juggling" in unknown.text
    assert httpx.get(f"{base}/learners/nobody/gaps", headers=auth).status_code == 404
