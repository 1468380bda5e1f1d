"""Request and response models of ``recommend``, shared by library, CLI and server (DESIGN §7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["GapOut", "RecommendRequest", "RecommendResponse", "StepOut"]

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RecommendRequest(BaseModel):
    """Ask for one learner's path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    learner_id: Id = Field(description="Pseudonymous learner id.")
    max_steps: int = Field(8, ge=1, le=50, description="Most steps in the path.")
    weekly_minutes: int | None = Field(
        None, ge=10, le=2400, description="Time budget per week; default: the framework policy."
    )
    horizon_weeks: int = Field(8, ge=1, le=52, description="Weeks the path may span.")
    language: Id | None = Field(None, description="Preferred language; default: the learner's.")
    goal_skills: list[Id] = Field(
        default_factory=list, max_length=50, description="Skills that replace the role targets."
    )
    exclude_items: list[Id] = Field(
        default_factory=list, max_length=1000, description="Items that must not appear."
    )
    role: Id | None = Field(
        None, description="Role of a learner unknown to the model (cold start)."
    )
    region: Id | None = Field(
        None, description="Region of a learner unknown to the model (cold start)."
    )
    as_of: dt.datetime | None = Field(
        None, description="Evaluate the learner's state at this UTC time; default: the model clock."
    )


class GapOut(BaseModel):
    """One of the learner's largest skill gaps."""

    skill: str
    current: float = Field(description="Estimated proficiency now, 0..1.")
    uncertainty: float = Field(description="Standard deviation of the estimate.")
    target: float
    gap: float = Field(description="max(0, target - current).")
    priority: float = Field(description="Strategic priority weight in force (1 = none).")
    weighted_gap: float = Field(description="gap x priority: what the path ranks by.")


class StepOut(BaseModel):
    """One step of the path."""

    position: int
    item_id: str
    title: str
    modality: str
    skills: list[str]
    duration_min: float
    week: int = Field(description="0-based week in which the step starts.")
    weeks: int = Field(description="Weeks the step spans.")
    language: str
    score: float
    review: bool = Field(description="A spaced review of an item completed before.")
    gap_skill: str
    reason: str


class RecommendResponse(BaseModel):
    """A personalised, ordered, scheduled learning path."""

    learner_id: str
    model_version: str
    framework_version: str
    degraded: bool = Field(description="True when a fallback path was served.")
    cold_start: bool = Field(description="True when the learner had no history in the model.")
    as_of: dt.datetime
    top_gaps: list[GapOut]
    steps: list[StepOut]
