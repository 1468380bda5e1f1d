"""Read a :class:`~pathfinder.recommender.RecommenderConfig` from a TOML experiment file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pathfinder.errors import ConfigError
from pathfinder.recommender import RecommenderConfig

__all__ = ["load_config", "load_toml"]


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: config file not found") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err


def load_config(path: Path | None, section: str = "model") -> RecommenderConfig:
    """The ``[model]`` table of ``path`` as a RecommenderConfig (defaults when ``path`` is None)."""
    if path is None:
        return RecommenderConfig()
    raw = load_toml(path).get(section, {})
    try:
        return RecommenderConfig.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in (section, *first["loc"]))
        raise ConfigError(f"{path}: {key}: {first['msg']} (found {first.get('input')!r})") from err
