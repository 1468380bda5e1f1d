"""The service core: model + event store + online updates, independent of the HTTP framework.

Every accepted write goes to the store first (committed before the caller hears 2xx); the model
learns new evidence only through :meth:`ServiceCore.sync`, which reads the store after a cursor.
Each worker process runs its own core, so every worker sees every write exactly once, in order,
and a recommend syncs first, reflecting all acknowledged evidence without retraining.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np

from pathfinder.errors import DataValidationError, PathfinderError, ValidationIssue
from pathfinder.online import StoreFollower
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest, RecommendResponse
from pathfinder.service._inputs import AssessmentIn, EventIn, IngestResult
from pathfinder.service._xapi import XapiMapper
from pathfinder.store import EventStore, StatementWrite

__all__ = ["ServiceCore"]

log = logging.getLogger(__name__)


class ServiceCore:
    """One worker's view of the model and the store.

    Parameters
    ----------
    recommender : Recommender
    store : EventStore
    deadline_s : float
        A recommend slower than this is answered with the degraded fallback path.
    """

    def __init__(
        self, recommender: Recommender, store: EventStore, deadline_s: float = 0.5
    ) -> None:
        self.recommender = recommender
        self.store = store
        self.deadline_s = deadline_s
        self._lock = threading.RLock()
        # one model thread: the model is not thread-safe (calls hold _lock anyway), so a second
        # thread would only contend for the lock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recommend")
        self.follower = StoreFollower(store)
        self.fallbacks = 0
        self._xapi: XapiMapper | None = None
        self._xapi_model = ""

    # ------------------------------------------------------------------ writes
    def ingest_events(self, rows: list[EventIn]) -> IngestResult:
        """Store a batch (idempotent by ``event_id``); committed before returning."""
        _require_known("events", "item_id", [r.item_id for r in rows], self.recommender.item_index_)
        result = self.store.append_events([row.model_dump() for row in rows])
        return IngestResult(accepted=result.accepted, duplicates=result.duplicates)

    def ingest_assessments(self, rows: list[AssessmentIn]) -> IngestResult:
        """Store a batch of assessment results; committed before returning."""
        _require_known(
            "assessments", "skill_id", [r.skill_id for r in rows], self.recommender.skill_index_
        )
        return IngestResult(
            accepted=self.store.append_assessments([row.model_dump() for row in rows])
        )

    def erase(self, learner_id: str) -> dict[str, int]:
        """Right to erasure: the store first, then this worker's model state."""
        counts = self.store.erase_learner(learner_id)
        self.forget(learner_id)
        return counts

    def forget(self, learner_id: str) -> None:
        """Drop the learner from the model's state (the store keeps the erasure for others)."""
        with self._lock:
            self.recommender.forget_learner(learner_id)

    # ------------------------------------------------------------------ xAPI
    @property
    def xapi(self) -> XapiMapper:
        """Statement mapper over the served model's catalogue and learners."""
        rec = self.recommender
        if self._xapi is None or self._xapi_model != rec.model_version:
            cat = rec.engine_.catalog
            activities = {
                a: str(i) for a, i in zip(cat.activity_ids, cat.item_ids, strict=True) if a
            }
            skills = {
                str(i): [cat.skill_ids[s] for s in np.flatnonzero(row > 0)]
                for i, row in zip(cat.item_ids, cat.gains, strict=True)
            }
            self._xapi = XapiMapper(activities, skills, rec.registry_.index.__contains__)
            self._xapi_model = rec.model_version
        return self._xapi

    def put_statements(
        self, statements: list[Any], statement_id: str | None = None
    ) -> list[tuple[str, bool]]:
        """Map and store statements; returns (id, stored now) per statement, in order.

        The batch is one transaction (with the mapped events and evidence): all or nothing.
        """
        mapped = [self.xapi.map(raw, statement_id) for raw in statements]
        stored = self.store.put_statements(
            [
                StatementWrite(m.statement_id, m.raw, m.event, m.assessments, m.flags, m.learner_id)
                for m in mapped
            ]
        )
        return [(m.statement_id, new) for m, new in zip(mapped, stored, strict=True)]

    def get_statement(self, statement_id: str) -> dict[str, Any] | None:
        return self.store.get_statement(statement_id)

    # ------------------------------------------------------------------ online updates
    def sync(self) -> int:
        """Apply every row stored since the last sync; returns how many the model took."""
        with self._lock:
            done = self.follower.catch_up(self.recommender)
        return done["events"] + done["assessments"]

    # ------------------------------------------------------------------ reads
    def warm_up(self, learner_id: str) -> None:
        """Catch up with the store and serve one learner, with no deadline (before ready)."""
        self.sync_and_recommend(RecommendRequest(learner_id=learner_id))

    def recommend(self, request: RecommendRequest) -> RecommendResponse:
        """A path reflecting every acknowledged write; the degraded fallback past the deadline
        or on a model failure (in-process; the server runs the model in a
        :class:`~pathfinder.service._worker.ProcessCore`).

        Raises
        ------
        UnknownLearnerError, ConfigError
            The request's own errors (unknown learner, unknown goal skill), unchanged.
        """
        future = self._pool.submit(self.sync_and_recommend, request)
        try:
            return future.result(timeout=self.deadline_s)
        except FutureTimeout:
            log.warning("recommend past its deadline: degraded fallback")
        except PathfinderError:
            raise
        except Exception:
            log.exception("model failure: degraded fallback")
        return self._fallback(request)

    def sync_and_recommend(self, request: RecommendRequest) -> RecommendResponse:
        """Catch up with the store, then recommend (no deadline)."""
        with self._lock:
            try:
                self.sync()
            except PathfinderError:
                log.warning("event store unavailable: serving the model's last state")
            return self.recommender.recommend(request)

    def _fallback(self, request: RecommendRequest) -> RecommendResponse:
        self.fallbacks += 1
        return self.recommender.fallback(request)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _require_known(table: str, column: str, values: list[str], known: Mapping[str, int]) -> None:
    """Reject a batch naming ids the served model does not know (nothing is stored)."""
    noun = column.removesuffix("_id")
    issues = [
        ValidationIssue(table, f"unknown {noun} {v!r}", k + 1, column)
        for k, v in enumerate(values)
        if v not in known
    ]
    if issues:
        raise DataValidationError(issues)
