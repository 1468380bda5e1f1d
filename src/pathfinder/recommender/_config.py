"""One typed config for the whole recommender; experiment TOML files fill it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pathfinder.candidates import CandidateConfig
from pathfinder.ranking import RankerConfig
from pathfinder.sequencing import SequencerConfig
from pathfinder.skills import SkillStateConfig

__all__ = ["RecommenderConfig", "TrainingConfig"]


class TrainingConfig(BaseModel):
    """How ranker training examples are cut from history (no leakage past a decision time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision_points: int = Field(
        2,
        ge=1,
        le=12,
        description="Decision times before the fit time (those before the first event are "
        "skipped).",
    )
    window_days: float = Field(
        56.0,
        gt=0,
        description="Label window after each decision time (as long as a path's horizon, so the "
        "ranker's chances match the paths it scores).",
    )
    max_learners: int = Field(6000, ge=10, description="Learners sampled per decision time.")
    gain_threshold: float = Field(
        0.05,
        ge=0,
        description="Quiz or assessment score above the estimate at decision time that counts "
        "as measured gain.",
    )
    seed: int = Field(0, ge=0)


class RecommenderConfig(BaseModel):
    """Every hyper-parameter of :class:`~pathfinder.Recommender`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skills: SkillStateConfig = Field(default_factory=SkillStateConfig)
    candidates: CandidateConfig = Field(default_factory=CandidateConfig)
    ranker: RankerConfig = Field(default_factory=RankerConfig)
    sequencer: SequencerConfig = Field(default_factory=SequencerConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    gain_weight: float = Field(
        0.5,
        ge=0,
        description="Slate value of the best gap-closing candidate relative to the likeliest "
        "completion at the first position (see pathfinder.recommender._slate); larger favours "
        "what closes gaps, smaller what learners take (see experiments/gain_weight.toml).",
    )
    expected_closure: bool = Field(
        True,
        description="Weigh each candidate's gap closure by the learned chance of finishing it "
        "once started (pathfinder.ranking.CompletionChance); false: closure alone.",
    )
    slate_size: int = Field(
        12, ge=1, le=100, description="Path positions the slate fills greedily before the rest."
    )
    top_gaps: int = Field(5, ge=1, le=50, description="Gaps listed in a response.")
    goal_target: float = Field(
        0.8, gt=0, le=1, description="Target of a requested goal skill the role sets none for."
    )
    review_threshold: float = Field(
        0.05, ge=0, description="A practised skill this far below target gets a spaced review."
    )
    clock: Literal["data", "wall"] = Field(
        "data",
        description="'data': requests are evaluated at the latest evidence seen (reproducible); "
        "'wall': at the current time (production).",
    )
