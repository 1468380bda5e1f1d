"""Fingerprints of the evidence a model was trained on, so online updates never apply it twice.

A model is trained from files; the event store the server reads may hold the same events (the
files were exported from it, or the LMS sent them to both). Applying them again would count them
twice (engagement confidence, skill-state evidence). Events are identified by ``event_id``,
assessments (which carry no id in the data contract) by their content: learner, skill, time to
the microsecond, method and score. Fingerprints are 64-bit hashes, kept sorted: 8 bytes per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pathfinder.data import columns as C

__all__ = ["SeenEvidence", "assessment_fingerprints", "event_fingerprints"]


def event_fingerprints(events: pd.DataFrame) -> np.ndarray:
    """64-bit fingerprint of each event's ``event_id``, shape (len(events),)."""
    ids = events[C.EVENT_ID].astype(str).reset_index(drop=True)
    return pd.util.hash_pandas_object(ids, index=False).to_numpy(np.uint64)


def assessment_fingerprints(assessments: pd.DataFrame) -> np.ndarray:
    """64-bit fingerprint of each assessment's content, shape (len(assessments),)."""
    at = pd.to_datetime(assessments[C.ASSESSED_AT], utc=True).astype("datetime64[us, UTC]")
    key = pd.DataFrame(
        {
            "learner": assessments[C.LEARNER_ID].astype(str).to_numpy(),
            "skill": assessments[C.SKILL_ID].astype(str).to_numpy(),
            "at_us": at.astype("int64").to_numpy(),
            "method": assessments[C.METHOD].astype(str).to_numpy(),
            "score_e6": np.round(assessments[C.SCORE].to_numpy(float) * 1e6).astype(np.int64),
        }
    )
    return pd.util.hash_pandas_object(key, index=False).to_numpy(np.uint64)


@dataclass
class SeenEvidence:
    """Sorted fingerprints of the training events and assessments."""

    events: np.ndarray
    assessments: np.ndarray

    @classmethod
    def of(cls, events: pd.DataFrame, assessments: pd.DataFrame) -> SeenEvidence:
        return cls(
            np.unique(event_fingerprints(events)), np.unique(assessment_fingerprints(assessments))
        )

    @staticmethod
    def _unseen(known: np.ndarray, prints: np.ndarray) -> np.ndarray:
        if not len(known):
            return np.ones(len(prints), dtype=bool)
        pos = np.minimum(np.searchsorted(known, prints), len(known) - 1)
        return known[pos] != prints

    def unseen_events(self, events: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``events`` the model was not trained on."""
        return self._unseen(self.events, event_fingerprints(events))

    def unseen_assessments(self, assessments: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``assessments`` the model was not trained on."""
        return self._unseen(self.assessments, assessment_fingerprints(assessments))
