"""Configuration of the batch forecast."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pathfinder.errors import ConfigError

__all__ = ["ForecastConfig"]


class ForecastConfig(BaseModel):
    """How far ahead, how the batch path is approximated, and how work is cut into chunks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizons: tuple[int, ...] = Field(
        (30, 90, 180), description="Horizons in days after ``as_of``; each must be > 0."
    )
    weekly_minutes: float | None = Field(
        None,
        description="Learning time per week on the recommended path (minutes); None: the "
        "framework policy's ``weekly_minutes``.",
    )
    max_steps: int = Field(
        40, ge=1, le=500, description="Most path steps considered per learner (candidates kept)."
    )
    chunk_size: int = Field(
        2000, ge=1, le=100_000, description="Learners per chunk (the unit of work of both engines)."
    )
    engine: Literal["local", "spark"] = Field("local", description="Execution engine.")

    @field_validator("horizons")
    @classmethod
    def _positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or min(v) <= 0:
            raise ValueError(f"horizons must be positive numbers of days, got {list(v)}")
        return tuple(sorted(set(v)))

    @classmethod
    def checked(cls, horizons: tuple[int, ...] | list[int], **kwargs: object) -> ForecastConfig:
        """Build with the checks an entry point needs, raising :class:`ConfigError`."""
        if not horizons:
            raise ConfigError("no horizon given: pass at least one --horizon in days (e.g. 90)")
        bad = [h for h in horizons if h <= 0]
        if bad:
            raise ConfigError(
                f"horizon must be a positive number of days, got {bad[0]}; e.g. --horizon 30 "
                "--horizon 90"
            )
        wm = kwargs.get("weekly_minutes")
        if wm is not None and not (isinstance(wm, int | float) and wm > 0):
            raise ConfigError(f"weekly minutes must be > 0, got {wm}")
        return cls(horizons=tuple(horizons), **kwargs)
