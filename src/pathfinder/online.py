"""Online updates: bring a fitted Recommender up to date with an event store, without retraining.

A :class:`StoreFollower` keeps one cursor per log of the store (events, assessments, erasures) and
applies whatever was stored after them: the server does it before every recommend (each worker
with its own follower, so every worker sees every write exactly once, in order), the batch
forecast once before it runs. Evidence the model was trained on is skipped by the model itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from pathfinder.data import columns as C
from pathfinder.recommender import Recommender
from pathfinder.store import ASSESSMENT_COLUMNS, EVENT_COLUMNS, EventStore

__all__ = ["StoreFollower", "rows_frame"]

_BATCH = 5000


def rows_frame(rows: list[dict[str, Any]], kind: str) -> pd.DataFrame:
    """Store rows (``events`` or ``assessments``) as a frame of contract columns and dtypes."""
    columns, time_col = (
        (EVENT_COLUMNS, C.TIMESTAMP) if kind == "events" else (ASSESSMENT_COLUMNS, C.ASSESSED_AT)
    )
    frame = pd.DataFrame(rows, columns=list(columns))
    frame[time_col] = pd.to_datetime(frame[time_col], utc=True)
    for col in (C.DURATION_S, C.SCORE, C.RATING):
        if col in frame.columns:
            frame[col] = frame[col].astype(float)
    return frame


class StoreFollower:
    """Applies an event store's new rows to a Recommender, after one cursor per log.

    Parameters
    ----------
    store : EventStore
        Where acknowledged events, assessments and erasures are read from.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.cursors = {"events": 0, "assessments": 0, "erasures": 0}

    def catch_up(self, rec: Recommender) -> dict[str, int]:
        """Apply every row stored since the last call.

        One round trip (:meth:`EventStore.heads`) when nothing is new. Erased learners are
        forgotten (their evidence, factors and holds), whichever process erased them.

        Returns
        -------
        dict
            ``events`` and ``assessments`` the model took (training evidence is skipped),
            ``erased`` learners forgotten.
        """
        heads = self.store.heads()
        done = {"events": 0, "assessments": 0, "erased": 0}
        # erasures first: a row of an erased learner still in the store was written after the
        # erasure (which deleted the older ones in its transaction), so it must outlive it
        if heads["erasures"] > self.cursors["erasures"]:
            done["erased"] = self._forget_erased(rec)
        if heads["events"] > self.cursors["events"]:
            done["events"] = self._drain("events", self.store.events_since, rec.observe_events)
        if heads["assessments"] > self.cursors["assessments"]:
            done["assessments"] = self._drain(
                "assessments", self.store.assessments_since, rec.observe_assessments
            )
        return done

    def _drain(
        self,
        log_name: str,
        since: Callable[[int, int], tuple[list[dict[str, Any]], int]],
        observe: Callable[[pd.DataFrame], int],
    ) -> int:
        applied = 0
        while True:
            rows, cursor = since(self.cursors[log_name], _BATCH)
            if rows:
                applied += observe(rows_frame(rows, log_name))
            self.cursors[log_name] = cursor
            if len(rows) < _BATCH:
                return applied

    def _forget_erased(self, rec: Recommender) -> int:
        forgotten = 0
        while True:
            erased, self.cursors["erasures"] = self.store.erasures_since(
                self.cursors["erasures"], _BATCH
            )
            gone = {row["learner_hash"] for row in erased}
            if gone:
                for learner in list(rec.registry_.ids):
                    if self.store.learner_hash(learner) in gone:
                        forgotten += rec.forget_learner(learner)
            if len(erased) < _BATCH:
                return forgotten
