"""The service contract as a Hypothesis state machine: random sequences of ingest, assess,
recommend, complete, erase and reload on :class:`ServiceCore` with a real SQLite store.

Invariants, checked after every step:

- an item whose ``completed`` event was acknowledged (and not erased since) is never a
  non-review step of that learner's path;
- an erased learner gets no personalised output until new evidence about them arrives;
- the store holds exactly the distinct accepted event ids, minus those of erased learners.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.errors import UnknownLearnerError
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest
from pathfinder.service import AssessmentIn, EventIn, ServiceCore
from pathfinder.store import open_store

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

T0 = datetime(2026, 2, 1, tzinfo=UTC)
NEWCOMER = "stateful-newcomer"  # unknown to the model until its first event


class ServiceContract(RuleBasedStateMachine):
    """One server worker (``ServiceCore``) and the oracle of what it acknowledged."""

    bundle: ClassVar[Path]
    learners: ClassVar[list[str]]
    items: ClassVar[list[str]]
    skills: ClassVar[list[str]]

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="contract-"))
        self.url = f"sqlite:///{self.tmp / 'events.db'}"
        self.core = ServiceCore(Recommender.load(self.bundle), open_store(self.url))
        self.accepted: dict[str, tuple[str, EventIn]] = {}  # stored id -> (learner, event)
        self.completed: dict[str, set[str]] = {}  # learner -> items completed since erasure
        self.erased: set[str] = set()  # erased, no evidence since
        self.clock = 0

    def teardown(self) -> None:
        self.core.close()
        self.core.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _event(self, learner: str, item: str, verb: str) -> EventIn:
        self.clock += 1
        return EventIn(
            event_id=str(uuid.uuid4()),
            learner_id=learner,
            item_id=item,
            verb=verb,  # type: ignore[arg-type]
            timestamp=T0 + timedelta(hours=self.clock),
        )

    # -- rules --------------------------------------------------------------------------------

    @rule(
        learner=st.sampled_from([*range(3), NEWCOMER]),
        picks=st.lists(
            st.tuples(st.integers(0, 7), st.sampled_from(["launched", "completed", "skipped"])),
            min_size=1,
            max_size=4,
        ),
        resend=st.booleans(),
    )
    def ingest(self, learner: int | str, picks: list[tuple[int, str]], resend: bool) -> None:
        lid = learner if isinstance(learner, str) else self.learners[learner]
        batch = [self._event(lid, self.items[i], verb) for i, verb in picks]
        repeats = [e for _, e in list(self.accepted.values())[:2]] if resend else []
        result = self.core.ingest_events(batch + repeats)
        assert (result.accepted, result.duplicates) == (len(batch), len(repeats))
        for event in batch:
            self.accepted[event.event_id] = (lid, event)
            if event.verb == "completed":
                self.completed.setdefault(lid, set()).add(event.item_id)
        self.erased.discard(lid)

    @rule(learner=st.integers(0, 2), skill=st.integers(0, 2), score=st.floats(0, 1))
    def assess(self, learner: int, skill: int, score: float) -> None:
        lid = self.learners[learner]
        self.clock += 1
        row = AssessmentIn(
            learner_id=lid,
            skill_id=self.skills[skill],
            score=score,
            assessed_at=T0 + timedelta(hours=self.clock),
            method="test",
        )
        assert self.core.ingest_assessments([row]).accepted == 1
        self.erased.discard(lid)

    @rule(learner=st.sampled_from([*range(3), NEWCOMER]))
    def erase(self, learner: int | str) -> None:
        lid = learner if isinstance(learner, str) else self.learners[learner]
        counts = self.core.erase(lid)
        mine = [i for i, (owner, _) in self.accepted.items() if owner == lid]
        assert counts["events"] == len(mine)
        for i in mine:
            del self.accepted[i]
        self.completed.pop(lid, None)
        self.erased.add(lid)

    @rule()
    def reload(self) -> None:
        """A new worker process: the bundle again, then the store's log from the start."""
        self.core.close()
        self.core = ServiceCore(Recommender.load(self.bundle), self.core.store)

    @precondition(lambda self: bool(self.accepted) or bool(self.erased))
    @rule(learner=st.sampled_from([*range(3), NEWCOMER]))
    def recommend(self, learner: int | str) -> None:
        lid = learner if isinstance(learner, str) else self.learners[learner]
        self._check_path(lid)

    # -- invariants ---------------------------------------------------------------------------

    def _check_path(self, lid: str) -> None:
        try:
            path = self.core.recommend(RecommendRequest(learner_id=lid, max_steps=10))
        except UnknownLearnerError:
            assert lid == NEWCOMER and (lid in self.erased or lid not in self.completed)
            return
        assert not path.degraded
        if lid in self.erased:
            assert path.cold_start, f"{lid} was erased but got a personalised path"
        done = self.completed.get(lid, set())
        again = [s.item_id for s in path.steps if not s.review and s.item_id in done]
        assert not again, f"{lid}: completed {again} recommended again"

    @invariant()
    def completed_items_stay_out_and_erased_learners_stay_cold(self) -> None:
        for lid in set(self.completed) | self.erased:
            self._check_path(lid)

    @invariant()
    def the_store_holds_exactly_the_accepted_ids(self) -> None:
        assert self.core.store.count_events() == len(self.accepted)


@pytest.fixture(scope="module", autouse=True)
def _contract_inputs(bundle: Path, tiny_world: World) -> None:
    """The model, three active learners and items their paths recommend (so completions bite)."""
    rec = Recommender.load(bundle)
    learners = [str(i) for i in tiny_world.events[C.LEARNER_ID].value_counts().index[:3]]
    items: list[str] = []
    for lid in learners:
        for step in rec.recommend(RecommendRequest(learner_id=lid, max_steps=10)).steps:
            if step.item_id not in items:
                items.append(step.item_id)
    items += [str(i) for i in tiny_world.catalog[C.ITEM_ID] if str(i) not in items]
    ServiceContract.bundle = bundle
    ServiceContract.learners = learners
    ServiceContract.items = items[:8]
    ServiceContract.skills = [s.id for s in tiny_world.framework.skills][:3]


TestServiceContract = ServiceContract.TestCase
TestServiceContract.settings = settings(
    max_examples=60,
    stateful_step_count=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_evidence_after_an_erasure_survives_a_new_worker(bundle: Path, tmp_path: Path) -> None:
    """Found by the machine above: erase, complete an item, start a new worker: the worker read
    the completion and then the erasure log, and forgot the completion (recommending it again).
    """
    lid, item = ServiceContract.learners[0], ServiceContract.items[0]
    store = open_store(f"sqlite:///{tmp_path / 'events.db'}")
    first = ServiceCore(Recommender.load(bundle), store)
    try:
        first.erase(lid)
        done = EventIn(
            event_id=str(uuid.uuid4()),
            learner_id=lid,
            item_id=item,
            verb="completed",
            timestamp=T0,
        )
        assert first.ingest_events([done]).accepted == 1
        for core in (first, ServiceCore(Recommender.load(bundle), store)):
            path = core.recommend(RecommendRequest(learner_id=lid, max_steps=10))
            assert not path.cold_start  # new evidence: personalised again
            assert item not in [s.item_id for s in path.steps if not s.review]
    finally:
        first.close()
        store.close()
