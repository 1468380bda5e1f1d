"""Configuration of candidate generation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CFConfig", "CandidateConfig"]


class CFConfig(BaseModel):
    """Collaborative filtering on confidence-weighted engagement (implicit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: Literal["als", "bpr"] = Field("als", description="implicit ALS or BPR.")
    factors: int = Field(32, ge=2, le=512)
    regularization: float = Field(0.05, ge=0)
    alpha: float = Field(2.0, gt=0, description="ALS confidence scale: C = 1 + alpha x weight.")
    iterations: int = Field(15, ge=1, le=500)
    learning_rate: float = Field(0.01, gt=0, description="BPR only.")
    seed: int = Field(0, ge=0)


class CandidateConfig(BaseModel):
    """How many candidates each source contributes before ranking."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_cf: int = Field(80, ge=0, le=5000, description="Top items by CF score.")
    n_gap: int = Field(80, ge=0, le=5000, description="Top items by gap coverage at a good level.")
    n_popular: int = Field(40, ge=0, le=5000, description="Top items popular in role and region.")
    require_gap: bool = Field(
        True,
        description="Keep only candidates that teach a skill with a weighted gap (every step then "
        "closes a gap); learners without gaps get the unfiltered candidates.",
    )
    zpd_offset: float = Field(0.1, description="Item level above proficiency that teaches best.")
    zpd_width: float = Field(0.2, gt=0)
    cf: CFConfig = Field(default_factory=CFConfig)
