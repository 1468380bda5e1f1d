"""Configuration of the skill state model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SkillStateConfig"]


class SkillStateConfig(BaseModel):
    """Hyper-parameters of :class:`~pathfinder.skills.SkillStateModel`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    half_life_grid: tuple[float, ...] = Field(
        (60.0, 90.0, 135.0, 200.0, 300.0),
        description="Forgetting half-lives (days) tried in fit; the best on training data is kept.",
    )
    floor_ratio: float = Field(0.6, ge=0, le=1, description="Decay floor as a share of the prior.")
    prior_sd: float = Field(0.2, gt=0, le=1, description="Uncertainty of a never-assessed skill.")
    drift_per_day: float = Field(2e-4, ge=0, description="Variance added per day without evidence.")
    completion_gain: float = Field(1.2, ge=0, description="Scale of the expected completion gain.")
    zpd_offset: float = Field(0.1, description="Item level above proficiency that teaches best.")
    zpd_width: float = Field(0.2, gt=0, description="Width of the level-fit curve.")
    quiz_noise_sd: float = Field(0.12, gt=0, description="Noise of a passed/failed quiz score.")
    gbm_rounds: int = Field(100, ge=10, le=5000, description="Boosting rounds of the correction.")
    gbm_leaves: int = Field(15, ge=4, le=1024)
    gbm_learning_rate: float = Field(0.05, gt=0, le=1)
    seed: int = Field(0, ge=0)
