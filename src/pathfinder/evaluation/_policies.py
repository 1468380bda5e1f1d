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


def baseline_policies(seed: int) -> dict[str, Policy]:
    """Policies that each replace candidates + ranker; gaps and the sequencer stay the same."""
    rng = np.random.default_rng(seed)

    def random(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(rng.random(view.engine.catalog.n_items), view.eligible())

    def popularity(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(view.engine.popularity[-1], view.eligible())

    def als_only(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        return _best(view.engine.cf.scores(view.user), view.eligible())

    def gap_rule(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        cfg, snap = view.engine.config, view.snapshot
        scores = gap_scores(
            snap.weighted_gap, snap.proficiency, view.engine.catalog, cfg.zpd_offset, cfg.zpd_width
        )
        return _best(scores, view.eligible())

    return {"random": random, "popularity": popularity, "als_only": als_only, "gap_rule": gap_rule}
