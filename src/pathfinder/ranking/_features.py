"""Per-(learner, item) ranking features, shared by training and the per-request hot path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pathfinder.catalog import CatalogArrays

__all__ = ["RANK_FEATURES", "LearnerView", "rank_features", "skill_readiness"]

RANK_FEATURES = (
    "gap_coverage",
    "gap_coverage_fit",
    "cf_score",
    "level_minus_proficiency",
    "modality",
    "duration_min",
    "language_rank",
    "prerequisite_items_ready",
    "prerequisite_skills_ready",
    "popularity_global",
    "popularity_group",
    "domain",
    "is_local",
    "priority_primary",
    "proficiency_primary",
    "uncertainty_primary",
    "ready_gap_coverage_fit",
    "prior_engagement",
    "follow_up",
    "priority_max",
    "target_max",
    "cf_gap_to_best",
    "cf_rank",
)
#: Weight of a skill's gap while its prerequisite skills are below the framework's mastery:
#: the framework says to learn those first, so teaching the skill now closes little.
UNREADY_WEIGHT = 0.3
CATEGORICAL = ("modality", "domain")


@dataclass(frozen=True)
class LearnerView:
    """What the features need to know about one learner at one time (arrays over skills)."""

    proficiency: np.ndarray
    sd: np.ndarray
    weighted_gaps: np.ndarray
    priority: np.ndarray
    targets: np.ndarray
    """Target proficiency per skill (role or goal skills)."""
    skill_ready: np.ndarray
    """Per skill: min over its prerequisite skills of min(1, proficiency / mastery); 1 if none."""
    completed: np.ndarray
    """Bool over items."""
    cf: np.ndarray
    """CF score over items."""
    popularity_group: np.ndarray
    """Over items."""
    language_rank: np.ndarray
    """Over items: 0 = learner's language, 1.. = fallback order, large = not offered."""
    engaged: np.ndarray
    """Over items: the learner's engagement weight so far (0 = never touched; for an item not
    completed, how far an earlier attempt went)."""


def skill_readiness(proficiency: np.ndarray, prereqs: np.ndarray, mastery: float) -> np.ndarray:
    """Per skill, how ready its prerequisite skills are (see :class:`LearnerView`).

    ``proficiency`` is (..., n_skills); ``prereqs`` the skills' prerequisite skills as a
    :func:`pathfinder.catalog.padded` matrix (-1 pads). Returns the shape of ``proficiency``.
    """
    ratio = np.minimum(1.0, np.asarray(proficiency) / mastery)
    ratio = np.concatenate([ratio, np.ones((*ratio.shape[:-1], 1))], axis=-1)
    return ratio[..., prereqs].min(axis=-1)  # -1 pads index the column of ones


def rank_features(
    items: np.ndarray,
    view: LearnerView,
    catalog: CatalogArrays,
    popularity_global: np.ndarray,
    zpd_offset: float,
    zpd_width: float,
) -> np.ndarray:
    """Feature matrix of shape (len(items), len(RANK_FEATURES)), float32."""
    gains = catalog.gains[items]
    level = catalog.level[items]
    # level fit and the per-item maxima only where an item teaches (its catalogue pairs), the
    # same arithmetic as over the dense (items, skills) grid, a fraction of the work
    rows, skills, gain = catalog.teaching_of(items)
    fit = np.exp(-(((level[rows] - view.proficiency[skills] - zpd_offset) / zpd_width) ** 2))
    coverage_fit = np.zeros(gains.shape)
    coverage_fit[rows, skills] = gain * fit
    priority_max = np.zeros(len(items))
    np.maximum.at(priority_max, rows, view.priority[skills])
    target_max = np.zeros(len(items))
    np.maximum.at(target_max, rows, view.targets[skills])
    primary = catalog.primary[items]
    n_pre = catalog.prerequisite_count[items]
    completed = np.append(view.completed, False)  # -1 pads index False
    done_pre = completed[catalog.prerequisite_padded[items]].sum(axis=1)
    items_ready = np.where(n_pre > 0, done_pre / np.maximum(n_pre, 1), 1.0)
    follow_up = (n_pre > 0) & (done_pre >= n_pre)
    ready_gaps = view.weighted_gaps * np.where(view.skill_ready >= 1.0, 1.0, UNREADY_WEIGHT)
    # the CF score relative to the learner's own candidates: raw scores differ in scale between
    # learners, a model of the chance of completing ranks within one learner
    cf = view.cf[items]
    cf_rank = np.empty(len(items))
    cf_rank[np.argsort(-cf, kind="stable")] = np.arange(len(items))
    return np.column_stack(
        [
            gains @ view.weighted_gaps,
            coverage_fit @ view.weighted_gaps,
            cf,
            level - view.proficiency[primary],
            catalog.modality[items],
            catalog.duration_min[items],
            view.language_rank[items],
            items_ready,
            view.skill_ready[primary],
            popularity_global[items],
            view.popularity_group[items],
            catalog.domain[items],
            catalog.scope[items] >= 0,
            view.priority[primary],
            view.proficiency[primary],
            view.sd[primary],
            coverage_fit @ ready_gaps,
            view.engaged[items],
            follow_up,
            priority_max,
            target_max,
            cf - (cf.max() if len(cf) else 0.0),
            cf_rank,
        ]
    ).astype(np.float32)
