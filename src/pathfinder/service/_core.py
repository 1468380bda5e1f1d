"""The service core: model + event store + online updates, independent of the HTTP framework.

Every accepted write goes to the store first (committed before the caller hears 2xx); the model
learns new evidence only through :meth:`ServiceCore.sync`, which reads the store after a cursor.
Each worker process runs its own core, so every worker sees every write exactly once, in order,
and a recommend syncs first, reflecting all acknowledged evidence without retraining.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np
import pandas as pd

from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError, PathfinderError, ValidationIssue
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest, RecommendResponse
from pathfinder.service._inputs import AssessmentIn, EventIn, IngestResult
from pathfinder.service._xapi import XapiMapper
from pathfinder.store import EventStore, StatementWrite

__all__ = ["ServiceCore"]

log = logging.getLogger(__name__)
_SYNC_BATCH = 5000


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
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="recommend")
        self.cursors = {"events": 0, "assessments": 0, "erasures": 0}
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
        with self._lock:
            self.recommender.forget_learner(learner_id)
        return counts

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
        """Apply every row stored since the last sync; returns how many were applied."""
        with self._lock:
            applied = 0
            while True:
                rows, cursor = self.store.events_since(self.cursors["events"], _SYNC_BATCH)
                if rows:
                    self.recommender.observe_events(_frame(rows, EventIn))
                    applied += len(rows)
                self.cursors["events"] = cursor
                if len(rows) < _SYNC_BATCH:
                    break
            while True:
                rows, cursor = self.store.assessments_since(
                    self.cursors["assessments"], _SYNC_BATCH
                )
                if rows:
                    self.recommender.observe_assessments(_frame(rows, AssessmentIn))
                    applied += len(rows)
                self.cursors["assessments"] = cursor
                if len(rows) < _SYNC_BATCH:
                    break
            erased, self.cursors["erasures"] = self.store.erasures_since(
                self.cursors["erasures"], _SYNC_BATCH
            )
            if erased:
                gone = {row["learner_hash"] for row in erased}
                for learner in list(self.recommender.registry_.ids):
                    if self.store.learner_hash(learner) in gone:
                        self.recommender.forget_learner(learner)
            return applied

    # ------------------------------------------------------------------ reads
    def recommend(self, request: RecommendRequest) -> RecommendResponse:
        """A path reflecting every acknowledged write; degraded fallback on failure or timeout.

        Raises the request's own errors (unknown learner, unknown goal skill) unchanged.
        """
        started = time.perf_counter()
        try:
            self.sync()
        except PathfinderError:
            log.warning("event store unavailable: serving the model's last state")
        future = self._pool.submit(self._recommend_locked, request)
        try:
            return future.result(
                timeout=max(0.0, self.deadline_s - (time.perf_counter() - started))
            )
        except FutureTimeout:
            log.warning("recommend past its deadline: degraded fallback")
        except PathfinderError:
            raise
        except Exception:
            log.exception("model failure: degraded fallback")
        self.fallbacks += 1
        return self.recommender.fallback(request)

    def _recommend_locked(self, request: RecommendRequest) -> RecommendResponse:
        with self._lock:
            return self.recommender.recommend(request)

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


def _frame(rows: list[dict[str, Any]], model: type[EventIn] | type[AssessmentIn]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(model.model_fields))
    for col in (C.TIMESTAMP, C.ASSESSED_AT):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], utc=True)
    for col in (C.DURATION_S, C.SCORE, C.RATING):
        if col in frame.columns:
            frame[col] = frame[col].astype(float)
    return frame
