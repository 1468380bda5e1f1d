"""Ranking metrics on one ranked list against a set of relevant items."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["average_precision_at_k", "ndcg_at_k", "recall_at_k"]


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Binary-relevance NDCG@k."""
    gains = [1.0 / np.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant]
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return float(sum(gains) / ideal) if ideal else 0.0


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Share of relevant items found in the top k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def average_precision_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """AP@k, normalised by ``min(k, |relevant|)`` (MAP@k is its mean over learners)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for r, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (r + 1)
    return total / min(k, len(relevant))
