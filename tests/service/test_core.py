"""The service core: durable writes, online updates across workers, erasure, degradation."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError, EventConflictError, StoreUnavailableError
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest
from pathfinder.service._core import ServiceCore
from pathfinder.service._inputs import AssessmentIn, EventIn
from pathfinder.store import open_store


@pytest.fixture(scope="module")
def bundle(tiny_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Recommender().fit(tiny_world).save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture
def workers(bundle: Path, tmp_path: Path) -> Iterator[tuple[ServiceCore, ServiceCore]]:
    """Two workers, each with its own model copy and store connection, one database."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    a = ServiceCore(Recommender.load(bundle), open_store(url))
    b = ServiceCore(Recommender.load(bundle), open_store(url))
    yield a, b
    for core in (a, b):
        core.close()
        core.store.close()


def _event(
    learner: str,
    item: str,
    verb: str = "completed",
    when: pd.Timestamp | None = None,
    event_id: str | None = None,
) -> EventIn:
    return EventIn(
        event_id=event_id or str(uuid.uuid4()),
        learner_id=learner,
        item_id=item,
        verb=verb,
        timestamp=(when or pd.Timestamp("2025-07-01", tz="UTC")).to_pydatetime(),
    )


def _first_learner(world: World) -> str:
    return str(world.events[C.LEARNER_ID].value_counts().index[0])


def test_a_write_on_one_worker_shows_in_the_next_recommend_of_another(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World
) -> None:
    a, b = workers
    lid = _first_learner(tiny_world)
    first = b.recommend(RecommendRequest(learner_id=lid)).steps[0].item_id
    result = a.ingest_events([_event(lid, first)])
    assert result.accepted == 1 and result.duplicates == 0
    after = b.recommend(RecommendRequest(learner_id=lid))
    assert first not in [s.item_id for s in after.steps if not s.review]
    assert b.follower.cursors["events"] > 0


def test_events_are_idempotent_and_conflicts_are_named(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World
) -> None:
    a, _ = workers
    lid = _first_learner(tiny_world)
    item = str(tiny_world.catalog[C.ITEM_ID].iloc[0])
    event = _event(lid, item, "launched")
    assert a.ingest_events([event]).accepted == 1
    again = a.ingest_events([event])
    assert (again.accepted, again.duplicates) == (0, 1)
    changed = event.model_copy(update={"verb": "completed"})
    with pytest.raises(EventConflictError) as info:
        a.ingest_events([changed, _event(lid, item)])
    assert event.event_id in str(info.value)
    assert a.store.count_events() == 1  # nothing of the conflicting batch was stored


def test_unknown_items_and_skills_are_rejected_by_row(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World
) -> None:
    a, _ = workers
    lid = _first_learner(tiny_world)
    item = str(tiny_world.catalog[C.ITEM_ID].iloc[0])
    with pytest.raises(DataValidationError) as info:
        a.ingest_events([_event(lid, item), _event(lid, "i99999")])
    assert str(info.value) == "events, row 2, column 'item_id': unknown item 'i99999'"
    bad = AssessmentIn(
        learner_id=lid,
        skill_id="juggling",
        score=0.5,
        assessed_at=pd.Timestamp("2025-07-01", tz="UTC").to_pydatetime(),
        method="test",
    )
    with pytest.raises(DataValidationError, match="column 'skill_id': unknown skill 'juggling'"):
        a.ingest_assessments([bad])
    assert a.store.count_events() == 0 and a.store.count_assessments() == 0


def test_erasure_on_one_worker_reaches_the_other(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World
) -> None:
    a, b = workers
    lid = _first_learner(tiny_world)
    item = str(tiny_world.catalog[C.ITEM_ID].iloc[0])
    a.ingest_events([_event(lid, item)])
    assert not b.recommend(RecommendRequest(learner_id=lid)).cold_start
    counts = a.erase(lid)
    assert counts["events"] == 1
    assert a.store.events_for(lid) == []
    resp = b.recommend(RecommendRequest(learner_id=lid))
    assert resp.cold_start  # only non-personalised output for an erased learner


def test_model_failure_and_deadline_give_a_degraded_path(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = workers
    lid = _first_learner(tiny_world)

    def broken(request: RecommendRequest) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(a.recommender, "recommend", broken)
    resp = a.recommend(RecommendRequest(learner_id=lid))
    assert resp.degraded and resp.steps and a.fallbacks == 1

    def slow(request: RecommendRequest) -> None:
        time.sleep(0.5)

    monkeypatch.setattr(a.recommender, "recommend", slow)
    a.deadline_s = 0.05
    started = time.perf_counter()
    resp = a.recommend(RecommendRequest(learner_id=lid))
    assert resp.degraded and time.perf_counter() - started < 0.3


def test_store_outage_fails_writes_and_keeps_reads(
    workers: tuple[ServiceCore, ServiceCore], tiny_world: World
) -> None:
    a, _ = workers
    lid = _first_learner(tiny_world)
    a.store.close()
    with pytest.raises(StoreUnavailableError):
        a.ingest_events([_event(lid, str(tiny_world.catalog[C.ITEM_ID].iloc[0]))])
    resp = a.recommend(RecommendRequest(learner_id=lid))
    assert not resp.degraded and resp.steps


def test_event_model_matches_the_data_contract() -> None:
    assert set(EventIn.model_fields) == {
        C.EVENT_ID,
        C.LEARNER_ID,
        C.ITEM_ID,
        C.VERB,
        C.TIMESTAMP,
        C.DURATION_S,
        C.SCORE,
        C.RATING,
    }
    assert set(EventIn.model_fields["verb"].annotation.__args__) == set(C.VERBS)  # type: ignore[union-attr]


def test_a_store_holding_the_training_evidence_changes_nothing(
    bundle: Path, tiny_world: World, tmp_path: Path
) -> None:
    """The model's own training events and assessments, found in the store, are not re-applied;
    a new event beside them is."""
    store = open_store(f"sqlite:///{tmp_path / 'events.db'}")
    events = tiny_world.events.head(3000)
    rows = [
        _event(r[C.LEARNER_ID], r[C.ITEM_ID], r[C.VERB], r[C.TIMESTAMP], r[C.EVENT_ID]).model_dump()
        for _, r in events.iterrows()
    ]
    store.append_events(rows)
    store.append_assessments(
        [
            AssessmentIn.model_validate(r).model_dump()
            for r in tiny_world.assessments[list(AssessmentIn.model_fields)].to_dict("records")
        ]
    )
    fresh = Recommender.load(bundle)
    core = ServiceCore(Recommender.load(bundle), store)
    try:
        assert core.sync() == 0  # everything in the store was training evidence
        state, ref = core.recommender.engine_.skills.state_, fresh.engine_.skills.state_
        assert (state.mu == ref.mu).all() and (state.var == ref.var).all()
        assert core.recommender.registry_.engagement == fresh.registry_.engagement
        lid = _first_learner(tiny_world)
        item = str(tiny_world.catalog[C.ITEM_ID].iloc[0])
        store.append_events([_event(lid, item, "launched").model_dump()])
        assert core.sync() == 1
        row = core.recommender.registry_.index[lid]
        assert core.recommender.registry_.engagement[row] != fresh.registry_.engagement[row]
    finally:
        core.close()
        store.close()
