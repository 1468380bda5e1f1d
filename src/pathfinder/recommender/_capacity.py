"""Seats of coaching sessions and projects held by served paths, per item and calendar week."""

from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np

__all__ = ["CapacityLedger"]


class CapacityLedger:
    """Holds per (item, absolute week) made by the latest path of each learner.

    Serving a path to a learner first releases that learner's previous holds, so asking twice
    gives the same path, while paths of different learners share an item's weekly capacity.
    Hold ``lock`` from release to hold: a model call past its deadline may still be sequencing
    in its thread while the fallback path books seats.
    """

    def __init__(self, capacity: np.ndarray) -> None:
        self.capacity = capacity
        self.lock = threading.Lock()
        self.held: dict[tuple[int, int], int] = defaultdict(int)
        self.by_learner: dict[str, list[tuple[int, int]]] = {}

    def release(self, learner_id: str) -> None:
        for key in self.by_learner.pop(learner_id, []):
            self.held[key] -= 1
            if self.held[key] <= 0:
                del self.held[key]

    def left(self, item: int, week: int) -> float:
        return float(self.capacity[item]) - self.held.get((item, week), 0)

    def hold(self, learner_id: str, keys: list[tuple[int, int]]) -> None:
        for key in keys:
            self.held[key] += 1
        self.by_learner[learner_id] = keys
