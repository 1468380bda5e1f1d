"""An xAPI statement batch is one transaction: a conflict (or a crash) stores none of it."""

from __future__ import annotations

import uuid

import pytest

from pathfinder.errors import StatementConflictError
from pathfinder.store import EventStore, StatementWrite
from tests.store import test_store as base

db = base.db  # the store tests' fixtures: SQLite and the real PostgreSQL
store = base.store


def _write(sid: str, scaled: float = 0.8) -> StatementWrite:
    mapped = base.event(verb="passed", score=scaled, duration_s=None, event_id=None)
    raw = base.statement(sid, scaled=scaled)
    return StatementWrite(sid, raw, mapped, [base.assessment(score=scaled)], [])


def test_a_batch_with_a_conflict_stores_nothing(store: EventStore) -> None:
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    assert store.put_statements([_write(a), _write(b)]) == [True, True]
    with pytest.raises(StatementConflictError) as info:
        store.put_statements([_write(c), _write(a, scaled=0.1)])  # a is stored with 0.8
    assert info.value.statement_id == a
    assert store.get_statement(c) is None
    assert (store.count_statements(), store.count_events(), store.count_assessments()) == (2, 2, 2)


def test_a_repeat_inside_a_batch_is_stored_once(store: EventStore) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    assert store.put_statements([_write(a), _write(b), _write(a)]) == [True, True, False]
    assert store.put_statements([_write(b)]) == [False]
    assert (store.count_statements(), store.count_events()) == (2, 2)
