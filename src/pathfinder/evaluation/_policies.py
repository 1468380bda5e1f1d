"""Baseline candidate policies: random, popularity, CF only, gap rule only (DESIGN §6)."""

from __future__ import annotations

import numpy as np

from pathfinder.candidates import gap_scores, top_k
from pathfinder.recommender import Policy, PolicyView

__all__ = ["baseline_policies"]

POOL = 200  # candidates a baseline hands to the sequencer


def _best(scores: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = top_k(scores, eligible, POOL)
    return idx, scores[idx]


def _latest_scores(view: PolicyView) -> np.ndarray:
    skills = view.engine.skills
    prior = skills.group_prior_[view.snapshot.role]
    if view.row is None:
        return np.asarray(prior)
    last = skills.state_.last_score[view.row]
    return np.where(np.isnan(last), prior, last)


def baseline_policies(seed: int) -> dict[str, Policy]:
    """Policies that each replace candidates + ranker; the sequencer stays the same.

    ``gap_rule`` is the rules engine an LMS could run without learning: largest gaps from the
    latest assessment scores, items at a suitable level for that score.
    """
    rng = np.random.default_rng(seed)

    def random(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(rng.random(view.engine.catalog.n_items), view.eligible())

    def popularity(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(view.engine.popularity[-1], view.eligible())

    def als_only(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(view.engine.cf.scores(view.user), view.eligible())

    def gap_rule(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        # a rules engine with no learned model: proficiency is the latest assessment score
        # (the role's mean score where a skill was never assessed), gaps against the targets
        eng, snap = view.engine, view.snapshot
        proficiency = _latest_scores(view)
        gap = np.maximum(0.0, snap.targets - proficiency) * snap.priority
        scores = gap_scores(
            gap, proficiency, eng.catalog, eng.config.zpd_offset, eng.config.zpd_width
        )
        return _best(scores, view.eligible())

    return {"random": random, "popularity": popularity, "als_only": als_only, "gap_rule": gap_rule}
