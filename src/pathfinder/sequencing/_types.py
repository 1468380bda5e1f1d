"""Inputs and outputs of the path sequencer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LearnerContext", "PlannedStep", "SequencerConfig"]


class SequencerConfig(BaseModel):
    """Hyper-parameters of :class:`~pathfinder.sequencing.PathSequencer`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_reviews: int = Field(2, ge=0, le=10, description="Most review steps in one path.")
    review_earliest_week: int = Field(
        1, ge=0, description="Reviews are spaced: never scheduled before this week (0-based)."
    )
    variety_decay: float = Field(
        0.6, gt=0, le=1, description="Score multiplier per step already chosen for the same gap."
    )
    local_tolerance: int = Field(
        1, ge=0, description="Regional steps allowed above floor(local_share x path length)."
    )


@dataclass(frozen=True)
class LearnerContext:
    """Everything the sequencer knows about one learner for one request.

    Arrays have shape (n_skills,) in the framework's skill order.
    """

    proficiency: np.ndarray
    """Estimated current proficiency in [0, 1]."""
    gaps: np.ndarray
    """Priority-weighted gap now, >= 0."""
    targets: np.ndarray
    """Target proficiency (role or goal skills)."""
    priority: np.ndarray
    """Priority weight in force (1 where none)."""
    languages: tuple[str, ...]
    """Acceptable languages in preference order (learner's, then the region's fallback order)."""
    region: int
    """Index of the learner's region in ``framework.region_ids`` (-1 if unknown)."""
    local_share: float
    """Share of regional items the region's policy allows."""
    completed: frozenset[int]
    """Item positions the learner completed (only allowed back as reviews)."""
    excluded: frozenset[int]
    """Item positions that must never appear."""
    review_skills: tuple[int, ...]
    """Skills decaying below target that deserve a spaced review, most urgent first."""
    weekly_minutes: float
    horizon_weeks: int
    max_steps: int


@dataclass(frozen=True)
class PlannedStep:
    """One scheduled step of a path."""

    item: int
    """Item position in the catalogue arrays."""
    week: int
    """0-based week in which the step starts."""
    weeks: int
    """Number of weeks it spans (items longer than a week's budget span several)."""
    score: float
    """Ranker score of the item (finite)."""
    language: str
    """Language the learner takes it in: the first acceptable language the item offers."""
    review: bool
    """True for a spaced review of a completed item."""
    gap_skill: int
    """Skill whose weighted gap this step closes most."""
    unlocks: tuple[int, ...]
    """Item positions later in this path that require this step."""
