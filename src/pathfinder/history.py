"""Learner history as arrays: events, assessments, skill observations, engagement matrices.

Times are float days since the Unix epoch (UTC) everywhere inside the models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pathfinder.catalog import CatalogArrays
from pathfinder.data import columns as C
from pathfinder.skills import KIND_ASSESSMENT, KIND_COMPLETION, KIND_QUIZ, QUIZ_METHOD, Observations

__all__ = [
    "DEFAULT_CONFIDENCE",
    "AssessmentArrays",
    "EventArrays",
    "confidence_matrix",
    "days",
    "engagement_weights",
    "from_days",
    "skill_observations",
]

VERB = {v: k for k, v in enumerate(C.VERBS)}
METHOD = {m: k for k, m in enumerate(C.METHODS)}
#: Engagement confidence per verb (ALS weights): finishing and passing weigh more than a launch.
DEFAULT_CONFIDENCE = {
    "launched": 1.0,
    "progressed": 0.5,
    "completed": 3.0,
    "passed": 2.0,
    "failed": 0.5,
    "rated": 0.0,
    "skipped": 0.0,
}
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def days(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps -> float days since the epoch."""
    return np.asarray((ts - _EPOCH) / pd.Timedelta(days=1), dtype=float)


def engagement_weights(events: EventArrays) -> np.ndarray:
    """Engagement weight of each event, shape (n_events,): :data:`DEFAULT_CONFIDENCE` by verb,
    plus 1 for a rating of 4 or 5."""
    weights = np.array([DEFAULT_CONFIDENCE.get(v, 0.0) for v in C.VERBS])
    bonus = np.where((events.verb == VERB["rated"]) & (events.rating >= 4), 1.0, 0.0)
    out: np.ndarray = weights[events.verb] + bonus
    return out


def from_days(t: float) -> dt.datetime:
    """Float days since the epoch -> aware UTC datetime."""
    return dt.datetime.fromtimestamp(round(float(t) * 86_400.0, 6), tz=dt.UTC)


@dataclass(frozen=True)
class EventArrays:
    """Events as parallel arrays (learner rows and item positions already resolved)."""

    learner: np.ndarray
    item: np.ndarray
    verb: np.ndarray
    t: np.ndarray
    score: np.ndarray
    rating: np.ndarray

    @classmethod
    def from_frame(
        cls, events: pd.DataFrame, learner_index: dict[str, int], item_index: dict[str, int]
    ) -> EventArrays:
        return cls(
            learner=events[C.LEARNER_ID].map(learner_index).to_numpy(dtype=np.int64),
            item=events[C.ITEM_ID].map(item_index).to_numpy(dtype=np.int64),
            verb=events[C.VERB].map(VERB).to_numpy(dtype=np.int64),
            t=days(events[C.TIMESTAMP]),
            score=events[C.SCORE].to_numpy(dtype=float),
            rating=events[C.RATING].to_numpy(dtype=float),
        )

    def before(self, t: float) -> EventArrays:
        keep = self.t < t
        return EventArrays(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    def between(self, t0: float, t1: float) -> EventArrays:
        keep = (self.t >= t0) & (self.t < t1)
        return EventArrays(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class AssessmentArrays:
    """Assessments as parallel arrays."""

    learner: np.ndarray
    skill: np.ndarray
    t: np.ndarray
    score: np.ndarray
    method: np.ndarray

    @classmethod
    def from_frame(
        cls, assessments: pd.DataFrame, learner_index: dict[str, int], skill_index: dict[str, int]
    ) -> AssessmentArrays:
        return cls(
            learner=assessments[C.LEARNER_ID].map(learner_index).to_numpy(dtype=np.int64),
            skill=assessments[C.SKILL_ID].map(skill_index).to_numpy(dtype=np.int64),
            t=days(assessments[C.ASSESSED_AT]),
            score=assessments[C.SCORE].to_numpy(dtype=float),
            method=assessments[C.METHOD].map(METHOD).to_numpy(dtype=np.int64),
        )

    def before(self, t: float) -> AssessmentArrays:
        keep = self.t < t
        return AssessmentArrays(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    def between(self, t0: float, t1: float) -> AssessmentArrays:
        keep = (self.t >= t0) & (self.t < t1)
        return AssessmentArrays(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def skill_observations(
    events: EventArrays, assessments: AssessmentArrays, catalog: CatalogArrays
) -> Observations:
    """Evidence per (learner, skill): assessments, completions and scored quizzes.

    A completion is one observation per skill the item teaches (with its level and nominal gain);
    a passed/failed event with a score is noisy evidence for each of those skills too.
    """
    completed = events.verb == VERB["completed"]
    quiz = np.isin(events.verb, [VERB["passed"], VERB["failed"]]) & ~np.isnan(events.score)
    parts = [
        Observations(
            assessments.learner,
            assessments.skill,
            assessments.t,
            np.full(len(assessments.learner), KIND_ASSESSMENT),
            assessments.score,
            assessments.method,
            np.full(len(assessments.learner), np.nan),
            np.full(len(assessments.learner), np.nan),
        )
    ]
    for mask, kind in ((completed, KIND_COMPLETION), (quiz, KIND_QUIZ)):
        items = events.item[mask]
        rows, skills = np.nonzero(catalog.gains[items] > 0)
        n = len(rows)
        parts.append(
            Observations(
                events.learner[mask][rows],
                skills,
                events.t[mask][rows],
                np.full(n, kind),
                events.score[mask][rows] if kind == KIND_QUIZ else np.full(n, np.nan),
                np.full(n, QUIZ_METHOD),
                catalog.level[items[rows]],
                catalog.gains[items[rows], skills],
            )
        )
    return Observations(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Observations.__dataclass_fields__)
    )


def confidence_matrix(
    events: EventArrays, n_learners: int, n_items: int, weights: dict[str, float]
) -> sparse.csr_matrix:
    """Learner x item engagement confidence (sum of verb weights; ratings >= 4 add 1)."""
    w = np.array([weights.get(v, 0.0) for v in C.VERBS])[events.verb]
    w = w + np.where((events.verb == VERB["rated"]) & (events.rating >= 4), 1.0, 0.0)
    keep = w > 0
    m = sparse.coo_matrix(
        (w[keep], (events.learner[keep], events.item[keep])), shape=(n_learners, n_items)
    )
    return m.tocsr()
