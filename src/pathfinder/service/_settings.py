"""Service settings from the environment; unsafe or missing values fail at start-up."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pathfinder.errors import ConfigError

__all__ = ["ServiceSettings"]


class ServiceSettings(BaseModel):
    """``PATHFINDER_*`` environment variables of the model server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        "models:/pathfinder@champion",
        description="PATHFINDER_MODEL: a bundle directory or an MLflow model URI.",
    )
    store_url: str = Field(
        "sqlite:///pathfinder-events.db",
        description="PATHFINDER_STORE_URL: sqlite:///path or postgresql://...",
    )
    store_namespace: str | None = Field(
        None,
        description="PATHFINDER_STORE_NAMESPACE: table prefix (SQLite) or schema (PostgreSQL).",
    )
    api_keys_file: Path = Field(description="PATHFINDER_API_KEYS_FILE: JSON list of hashed keys.")
    deadline_ms: int = Field(
        250, ge=10, le=10_000, description="PATHFINDER_DEADLINE_MS: recommend deadline."
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1_000, le=50_000_000, description="PATHFINDER_MAX_BODY_BYTES."
    )
    max_inflight: int = Field(
        16,
        ge=1,
        le=10_000,
        description="PATHFINDER_MAX_INFLIGHT: requests processed at once per worker; more are "
        "answered 503 with Retry-After at once (load shedding).",
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ServiceSettings:
        env = dict(os.environ if env is None else env)
        raw = {
            key: env[f"PATHFINDER_{key.upper()}"]
            for key in cls.model_fields
            if f"PATHFINDER_{key.upper()}" in env
        }
        if "api_keys_file" not in raw:
            raise ConfigError(
                "PATHFINDER_API_KEYS_FILE is not set: the server refuses to run "
                "without API keys (create one with `pathfinder keys create`)"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            first = err.errors()[0]
            name = "PATHFINDER_" + str(first["loc"][0]).upper()
            raise ConfigError(f"{name}: {first['msg']} (found {first.get('input')!r})") from err
