"""Skill gaps: priority-weighted ``max(0, target − proficiency)``, now or later (DESIGN §5)."""

from __future__ import annotations

import numpy as np

__all__ = ["goal_targets", "weighted_gaps"]


def weighted_gaps(
    targets: np.ndarray, proficiency: np.ndarray, priority: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gap and priority-weighted gap per skill (any matching shapes).

    Returns
    -------
    gap : ndarray
        ``max(0, target − proficiency)``.
    weighted : ndarray
        ``gap × priority``.
    """
    gap = np.maximum(0.0, targets - proficiency)
    return gap, gap * priority


def goal_targets(
    role_targets: np.ndarray, goal_skills: np.ndarray, default_target: float
) -> np.ndarray:
    """Targets when a request names goal skills: only those skills count.

    A goal skill keeps its role target when the role sets one, else gets ``default_target``.
    """
    out = np.zeros_like(role_targets)
    out[goal_skills] = np.where(
        role_targets[goal_skills] > 0, role_targets[goal_skills], default_target
    )
    return out
