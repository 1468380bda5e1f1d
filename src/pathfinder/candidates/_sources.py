"""Candidate sources beyond CF: gap-driven content and popularity in role/region."""

from __future__ import annotations

import numpy as np

from pathfinder.catalog import CatalogArrays

__all__ = ["gap_scores", "group_popularity", "top_k"]


def gap_scores(
    gaps: np.ndarray,
    proficiency: np.ndarray,
    catalog: CatalogArrays,
    zpd_offset: float,
    zpd_width: float,
) -> np.ndarray:
    """How much each item closes the weighted gaps at a level that suits the learner.

    ``sum_s gaps[s] * gain[i, s] * exp(-((level_i - p_s - offset) / width)²)``, shape (n_items,).
    Computed over the catalogue's (item, skill) teaching pairs, so the cost is O(pairs).
    """
    items, skills, gain = catalog.teaching
    weight = gaps[skills]
    live = weight > 0
    items, skills, gain, weight = items[live], skills[live], gain[live], weight[live]
    fit = np.exp(-(((catalog.level[items] - proficiency[skills] - zpd_offset) / zpd_width) ** 2))
    return np.bincount(items, gain * fit * weight, minlength=catalog.n_items)


def group_popularity(
    learner_group: np.ndarray,
    completed_learner: np.ndarray,
    completed_item: np.ndarray,
    n_groups: int,
    n_items: int,
) -> np.ndarray:
    """Completions per (group, item) normalised per group, shape (n_groups + 1, n_items).

    The last row is the global popularity (for learners of an unknown group).
    """
    counts = np.zeros((n_groups + 1, n_items))
    np.add.at(counts, (learner_group[completed_learner], completed_item), 1.0)
    np.add.at(counts[-1], completed_item, 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def top_k(scores: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best eligible scores, best first (ties: lower position first)."""
    idx = np.flatnonzero(eligible)
    if k <= 0 or len(idx) == 0:
        return idx[:0]
    s = scores[idx]
    if len(idx) > k:
        part = np.argpartition(-s, k - 1)[:k]
        idx, s = idx[part], s[part]
    order = np.lexsort((idx, -s))
    return idx[order]
