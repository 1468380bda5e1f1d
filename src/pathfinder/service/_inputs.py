"""Typed, bounded request bodies of the ingestion routes (unknown fields are rejected)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["AssessmentBatch", "AssessmentIn", "EventBatch", "EventIn", "IngestResult"]

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
Uuid = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    ),
]
MAX_BATCH = 1000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventIn(_In):
    """One engagement event (DESIGN §3); ``event_id`` is the idempotency key."""

    event_id: Uuid
    learner_id: Id
    item_id: Id
    verb: Literal["launched", "progressed", "completed", "passed", "failed", "rated", "skipped"]
    timestamp: AwareDatetime
    duration_s: float | None = Field(None, ge=0, le=10_000_000)
    score: float | None = Field(None, ge=0, le=1)
    rating: float | None = Field(None, ge=1, le=5)


class AssessmentIn(_In):
    """One skill assessment result."""

    learner_id: Id
    skill_id: Id
    score: float = Field(ge=0, le=1)
    assessed_at: AwareDatetime
    method: Literal["test", "observation", "360", "manager"]


class EventBatch(_In):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class AssessmentBatch(_In):
    assessments: list[AssessmentIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    """What a write did; returned only after the rows are committed."""

    accepted: int
    duplicates: int = 0
