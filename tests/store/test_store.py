"""The event store, on both backends: idempotency, atomicity, cursors, erasure, availability.

SQLite runs in ``tmp_path``; PostgreSQL (``integration``) runs on the real server at
``PATHFINDER_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) in a
fresh schema that is dropped at teardown.
"""

from __future__ import annotations

import os
import random
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pathfinder.data import columns as C
from pathfinder.errors import (
    ConfigError,
    DataValidationError,
    EventConflictError,
    StatementConflictError,
    StoreUnavailableError,
)
from pathfinder.store import EventStore, open_store

PG_URL = os.environ.get("PATHFINDER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def event(
    learner: str = "l1", item: str = "i1", verb: str = "completed", **kw: Any
) -> dict[str, Any]:
    """An event row; ``event_id=None`` leaves the id out (an xAPI-mapped event)."""
    row: dict[str, Any] = {
        C.EVENT_ID: str(uuid.uuid4()),
        C.LEARNER_ID: learner,
        C.ITEM_ID: item,
        C.VERB: verb,
        C.TIMESTAMP: T0,
        C.DURATION_S: 120.0,
        C.SCORE: None,
        C.RATING: None,
    }
    row.update(kw)
    if row[C.EVENT_ID] is None:
        del row[C.EVENT_ID]
    return row


def assessment(
    learner: str = "l1", skill: str = "negotiation", score: float = 0.4
) -> dict[str, Any]:
    return {
        C.LEARNER_ID: learner,
        C.SKILL_ID: skill,
        C.SCORE: score,
        C.ASSESSED_AT: T0,
        C.METHOD: "test",
    }


def statement(
    sid: str, learner: str = "l1", item: str = "i1", scaled: float = 0.8
) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"account": {"homePage": "https://lms.example.com", "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": f"https://lms.example.com/items/{item}"},
        "result": {"score": {"scaled": scaled}, "success": True},
        "timestamp": "2025-03-01T09:30:00Z",
    }


@dataclass
class Database:
    """One isolated database for a test; ``open()`` gives a new store ("process") on it."""

    backend: str
    url: str
    namespace: str
    stores: list[EventStore] = field(default_factory=list)

    def open(self) -> EventStore:
        store = open_store(self.url, namespace=self.namespace)
        self.stores.append(store)
        return store

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the namespace, read directly (not through the store)."""
        if self.backend == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                prefix = f"{self.namespace}_"
                names = [
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                    if r[0].startswith(prefix)
                ]
                out = {
                    n.removeprefix(prefix): conn.execute(f'SELECT * FROM "{n}"').fetchall()
                    for n in names
                }
            conn.close()
            return out
        with psycopg.connect(self.url, autocommit=True) as pg:
            names = [
                r[0]
                for r in pg.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (self.namespace,),
                )
            ]
            return {
                n: pg.execute(f'SELECT * FROM "{self.namespace}"."{n}"').fetchall() for n in names
            }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        database = Database("sqlite", f"sqlite:///{tmp_path / 'events.db'}", namespace)
    else:
        try:
            psycopg.connect(PG_URL, connect_timeout=3).close()
        except psycopg.OperationalError as err:
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {err}")
        database = Database("postgresql", PG_URL, namespace)
    yield database
    for store in database.stores:
        store.close()
    if database.backend == "postgresql":
        with psycopg.connect(PG_URL, autocommit=True) as pg:
            pg.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')


@pytest.fixture
def store(db: Database) -> EventStore:
    return db.open()


# -- events ------------------------------------------------------------------------------------


def test_append_and_read_back_exact_values(store: EventStore) -> None:
    plus2 = timezone(timedelta(hours=2))
    rows = [
        event(timestamp=datetime(2025, 3, 1, 10, 30, 0, 123456, tzinfo=plus2), score=0.1),
        event(verb="rated", timestamp=T0 + timedelta(days=1), rating=4.5, duration_s=None),
        event(learner="l2", score=1 / 3, duration_s=0.0),
    ]
    result = store.append_events(rows)
    assert (result.accepted, result.duplicates) == (3, 0)
    assert result.accepted_ids == [r[C.EVENT_ID] for r in rows]
    assert store.count_events() == 3

    got = store.events_for("l1")
    assert [g[C.EVENT_ID] for g in got] == [rows[0][C.EVENT_ID], rows[1][C.EVENT_ID]]
    expected = dict(rows[0], timestamp=datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC))
    assert got[0] == expected
    assert got[1] == rows[1]
    for g in got:
        assert g[C.TIMESTAMP].utcoffset() == timedelta(0)
    (l2,) = store.events_for("l2")
    assert l2[C.SCORE] == 1 / 3 and l2[C.DURATION_S] == 0.0
    assert store.events_for("nobody") == []


def test_repeat_with_same_content_is_a_counted_no_op(store: EventStore) -> None:
    rows = [event(), event(item="i2")]
    store.append_events(rows)
    again = store.append_events([dict(rows[1]), dict(rows[0]), dict(rows[0])])
    assert (again.accepted, again.duplicates, again.accepted_ids) == (0, 3, [])
    mixed = store.append_events([rows[0], new := event(item="i3"), new])
    assert (mixed.accepted, mixed.duplicates, mixed.accepted_ids) == (1, 2, [new[C.EVENT_ID]])
    assert store.count_events() == 3


def test_conflict_names_the_id_and_stores_nothing_of_the_batch(store: EventStore) -> None:
    first = event()
    store.append_events([first])
    fresh = event(item="i9")
    changed = dict(first, score=0.9)
    with pytest.raises(EventConflictError) as info:
        store.append_events([fresh, changed])
    assert info.value.event_ids == [first[C.EVENT_ID]]
    assert first[C.EVENT_ID] in str(info.value)
    assert store.count_events() == 1
    assert store.events_for("l1") == [first]
    # the store is still usable, and the fresh event alone goes in
    assert store.append_events([fresh]).accepted == 1


def test_conflict_inside_one_batch(store: EventStore) -> None:
    a = event()
    other = event(item="i2")
    with pytest.raises(EventConflictError) as info:
        store.append_events([a, other, dict(a, verb="failed")])
    assert info.value.event_ids == [a[C.EVENT_ID]]
    assert store.count_events() == 0


def test_malformed_rows_are_refused_before_anything_is_stored(store: EventStore) -> None:
    naive = event(timestamp=datetime(2025, 3, 1, 9, 30))
    missing = event()
    del missing[C.ITEM_ID]
    with pytest.raises(DataValidationError) as info:
        store.append_events([event(), naive, missing])
    text = str(info.value)
    assert "row 2" in text and "naive" in text and "row 3" in text and C.ITEM_ID in text
    assert store.count_events() == 0
    assert store.append_events([]).accepted == 0


# -- assessments -------------------------------------------------------------------------------


def test_assessments_round_trip_with_server_ids(store: EventStore) -> None:
    rows = [assessment(score=0.25), assessment(skill="listening", score=0.75)]
    assert store.append_assessments(rows) == 2
    assert store.append_assessments(rows[:1]) == 1  # assessments are not deduplicated
    got = store.assessments_for("l1")
    assert len(got) == 3 == store.count_assessments()
    assert len({g["assessment_id"] for g in got}) == 3
    assert {k: v for k, v in got[1].items() if k != "assessment_id"} == rows[1]
    page, cursor = store.assessments_since(0, 2)
    assert len(page) == 2 and cursor > 0
    rest, cursor2 = store.assessments_since(cursor, 10)
    assert len(rest) == 1 and cursor2 > cursor
    assert store.assessments_since(cursor2, 10) == ([], cursor2)


# -- xAPI --------------------------------------------------------------------------------------


def test_statement_put_get_repeat_conflict(store: EventStore) -> None:
    sid = str(uuid.uuid4())
    raw = statement(sid)
    mapped = event(verb="passed", score=0.8, duration_s=None, event_id=None)
    evidence = [assessment(score=0.8)]
    assert store.put_statement(sid, raw, mapped, evidence, []) is True

    rec = store.get_statement(sid)
    assert rec is not None
    assert rec["raw"] == raw and rec["flags"] == [] and rec["learner_id"] == "l1"
    assert (rec["item_id"], rec["verb"]) == ("i1", "passed")
    assert rec["stored_at"].utcoffset() == timedelta(0)
    (ev,) = store.events_for("l1")
    assert ev == dict(mapped, event_id=sid)
    assert [a[C.SCORE] for a in store.assessments_for("l1")] == [0.8]

    reordered = dict(reversed(list(raw.items())))  # same content, other key order
    assert store.put_statement(sid, reordered, mapped, evidence, []) is False
    with pytest.raises(StatementConflictError) as info:
        store.put_statement(sid, statement(sid, scaled=0.3), mapped, evidence, [])
    assert info.value.statement_id == sid
    assert (store.count_statements(), store.count_events(), store.count_assessments()) == (1, 1, 1)
    assert store.get_statement(str(uuid.uuid4())) is None


def test_flagged_statement_is_stored_without_an_event(store: EventStore) -> None:
    sid = str(uuid.uuid4())
    raw = statement(sid, learner="stranger", item="unknown-thing")
    assert store.put_statement(sid, raw, None, [], ["unknown_actor", "unknown_activity"])
    rec = store.get_statement(sid)
    assert rec is not None
    assert rec["flags"] == ["unknown_actor", "unknown_activity"]
    assert rec["learner_id"] == "stranger" and rec["item_id"] is None
    assert store.count_events() == 0


def test_statement_and_its_mapped_rows_commit_together(store: EventStore) -> None:
    sid = str(uuid.uuid4())
    existing = event(event_id=sid, verb="launched")
    store.append_events([existing])
    mapped = event(verb="passed", score=0.8, event_id=sid)  # an explicit, equal id is fine
    with pytest.raises(EventConflictError):
        store.put_statement(sid, statement(sid), mapped, [assessment()], [])
    assert store.get_statement(sid) is None
    assert store.count_assessments() == 0
    assert store.events_for("l1") == [existing]


# -- cursors across processes ------------------------------------------------------------------


def test_events_since_across_two_store_instances(db: Database) -> None:
    a, b = db.open(), db.open()
    first = [event(item=f"i{k}") for k in range(3)]
    a.append_events(first)
    page, cursor_b = b.events_since(0, 2)
    assert [p[C.EVENT_ID] for p in page] == [r[C.EVENT_ID] for r in first[:2]]
    page, cursor_b = b.events_since(cursor_b, 100)
    assert [p[C.EVENT_ID] for p in page] == [first[2][C.EVENT_ID]]
    _, cursor_a = a.events_since(0, 100)
    assert cursor_a == cursor_b

    second = [event(learner="l2"), event(learner="l3")]
    b.append_events(second)
    a.append_events(first)  # duplicates add no rows for pollers
    page, cursor_a2 = a.events_since(cursor_a, 100)
    assert [p[C.EVENT_ID] for p in page] == [r[C.EVENT_ID] for r in second]
    assert page[0] == second[0]
    assert cursor_a2 > cursor_a
    assert a.events_since(cursor_a2, 100) == ([], cursor_a2)
    with pytest.raises(ConfigError):
        a.events_since(-1, 10)


def test_heads_match_the_cursors_of_each_log(store: EventStore) -> None:
    assert store.heads() == {"events": 0, "assessments": 0, "erasures": 0}
    store.append_events([event(), event(item="i2")])
    store.append_assessments([assessment()])
    heads = store.heads()
    assert heads["events"] == store.events_since(0, 100)[1] > 0
    assert heads["assessments"] == store.assessments_since(0, 100)[1] > 0
    assert heads["erasures"] == 0
    store.erase_learner("l1")
    after = store.heads()
    assert after["erasures"] == store.erasures_since(0, 100)[1] > 0
    assert (after["events"], after["assessments"]) == (0, 0)  # the erased rows are gone
    store.append_events([event(learner="l2")])
    assert store.heads()["events"] > heads["events"]  # numbers are never reused


def test_store_reopens_with_its_data(db: Database) -> None:
    rows = [event(), event(item="i2")]
    db.open().append_events(rows)
    db.stores.pop().close()
    again = db.open()  # schema creation is idempotent
    assert again.count_events() == 2
    assert again.append_events(rows).duplicates == 2


# -- erasure -----------------------------------------------------------------------------------


def test_erase_learner_leaves_no_trace(db: Database) -> None:
    store = db.open()
    gone, kept = "learner-erase-me-4711", "learner-keep-0815"
    for who in (gone, kept):
        store.append_events([event(learner=who), event(learner=who, item="i2")])
        store.append_assessments([assessment(learner=who)])
        sid = str(uuid.uuid4())
        store.put_statement(
            sid, statement(sid, learner=who), event(learner=who, event_id=None), [], []
        )
        sid = str(uuid.uuid4())
        store.put_statement(sid, statement(sid, learner=who), None, [], ["unknown_activity"])

    counts = store.erase_learner(gone)
    assert counts == {"events": 3, "assessments": 1, "statements": 2}

    tables = db.dump()
    assert set(tables) == {"events", "assessments", "statements", "erasures", "meta"}
    for name, rows in tables.items():
        for row in rows:
            assert gone not in " ".join(map(str, row)), f"{gone} still in table {name}: {row}"
    assert all(kept in " ".join(map(str, row)) for row in tables["events"])
    assert len(tables["events"]) == 3 and len(tables["erasures"]) == 1
    assert store.events_for(gone) == [] and store.assessments_for(gone) == []
    assert len(store.events_for(kept)) == 3 and store.count_statements() == 2

    log, cursor = db.open().erasures_since(0, 10)
    assert [e["learner_hash"] for e in log] == [store.learner_hash(gone)]
    assert store.learner_hash(gone) != store.learner_hash(kept)
    assert cursor > 0
    assert store.erase_learner(gone) == {"events": 0, "assessments": 0, "statements": 0}


# -- availability ------------------------------------------------------------------------------


def test_closed_postgres_port_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1:1\b"):
        open_store("postgresql://postgres@127.0.0.1:1/test")


def test_unwritable_sqlite_path_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailableError, match="writable"):
        open_store(f"sqlite:///{blocker / 'events.db'}")
    with pytest.raises(StoreUnavailableError):
        open_store(f"sqlite:///{tmp_path}")  # a directory, not a file
    not_db = tmp_path / "garbage.db"
    not_db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailableError):
        open_store(f"sqlite:///{not_db}")


def test_closed_store_is_unavailable(store: EventStore) -> None:
    store.ping()
    store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.ping()
    with pytest.raises(StoreUnavailableError):
        store.append_events([event()])


@pytest.mark.integration
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_lost_postgres_connections_give_503_then_recover(db: Database) -> None:
    store = db.open()
    store.append_events([event()])
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        cut = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"pathfinder-store:{db.namespace}",),
        ).fetchall()
    assert cut
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1"):
        store.count_events()  # the pooled connection was cut: 503, and it is discarded
    store.ping()
    assert store.count_events() == 1


def test_urls_and_namespaces_are_checked() -> None:
    with pytest.raises(ConfigError, match="not supported"):
        open_store("mysql://root:secret@db/x")
    with pytest.raises(ConfigError) as info:
        open_store("mongodb://user:hunter2@host/db")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError, match="in-memory"):
        open_store("sqlite:///:memory:")
    with pytest.raises(ConfigError, match="namespace"):
        open_store("sqlite:///x.db", namespace="Robert'); DROP TABLE")


# -- concurrency -------------------------------------------------------------------------------


def test_threads_appending_overlapping_batches(store: EventStore) -> None:
    shared = [event(learner="shared", item=f"s{k}") for k in range(100)]
    own = [[event(learner=f"t{t}", item=f"o{k}") for k in range(150)] for t in range(4)]

    def work(t: int) -> tuple[int, int]:
        rows = own[t] + shared
        random.Random(t).shuffle(rows)
        accepted = duplicates = 0
        for start in range(0, len(rows), 25):
            res = store.append_events(rows[start : start + 25])
            accepted += res.accepted
            duplicates += res.duplicates
        return accepted, duplicates

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(4)))
    distinct = 4 * 150 + 100
    assert store.count_events() == distinct
    assert sum(a for a, _ in results) == distinct  # each id accepted exactly once
    assert sum(d for _, d in results) == 3 * 100
    rows, _ = store.events_since(0, 10_000)
    assert len({r[C.EVENT_ID] for r in rows}) == distinct
