"""Experiment specs (TOML): data, model hyper-parameters, evaluation, variants, registry.

One file per experiment; experiments vary configs, not code. Example::

    [experiment]
    name = "pathfinder"
    description = "defaults on the small world"

    [data]
    path = "data/synthetic/small"
    generate = { size = "small", seed = 42 }   # written to `path` when it does not exist

    [model.candidates.cf]       # any RecommenderConfig key
    factors = 32

    [evaluation]
    test_weeks = 8

    [variants.bpr.model.candidates.cf]   # each variant: a nested run with these overrides
    algorithm = "bpr"
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pathfinder.errors import ConfigError
from pathfinder.evaluation import EvaluationConfig
from pathfinder.recommender import RecommenderConfig

__all__ = ["ExperimentSpec", "load_config", "load_spec", "load_spec_parts", "load_toml"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExperimentInfo(_Strict):
    name: str = Field("pathfinder", description="MLflow experiment name.")
    description: str = ""


class GenerateSpec(_Strict):
    size: Literal["tiny", "small", "medium", "large"] = "small"
    seed: int = Field(0, ge=0)


class DataSpec(_Strict):
    path: Path = Field(description="Data directory (relative to the working directory).")
    generate: GenerateSpec | None = Field(
        None, description="Generate a synthetic world into `path` when it does not exist."
    )


class RegistrySpec(_Strict):
    name: str = Field("pathfinder", description="Registered model name.")
    register_model: bool = Field(
        True, alias="register", description="Register the trained bundle as 'challenger'."
    )


class ExperimentSpec(_Strict):
    """A whole experiment file."""

    experiment: ExperimentInfo = Field(default_factory=ExperimentInfo)
    data: DataSpec
    model: dict[str, Any] = Field(default_factory=dict)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    registry: RegistrySpec = Field(default_factory=RegistrySpec)

    def model_config_for(self, variant: str | None = None) -> RecommenderConfig:
        """The RecommenderConfig of the base model or of one variant (overrides merged in)."""
        raw = copy.deepcopy(self.model)
        if variant is not None:
            _merge(raw, self.variants[variant].get("model", {}))
        return RecommenderConfig.model_validate(raw)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: config file not found") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err


def _invalid(path: Path, err: ValidationError, prefix: tuple[str, ...] = ()) -> ConfigError:
    first = err.errors()[0]
    key = ".".join(str(p) for p in (*prefix, *first["loc"]))
    return ConfigError(f"{path}: {key}: {first['msg']} (found {first.get('input')!r})")


def load_spec(path: Path) -> ExperimentSpec:
    """Read and validate an experiment file, including every variant's model config."""
    raw = load_toml(path)
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as err:
        raise _invalid(path, err) from err
    for name in [None, *spec.variants]:
        try:
            spec.model_config_for(name)
        except ValidationError as err:
            prefix = ("model",) if name is None else ("variants", name, "model")
            raise _invalid(path, err, prefix) from err
    return spec


def load_config(path: Path | None) -> RecommenderConfig:
    """The ``[model]`` table of ``path`` as a RecommenderConfig (defaults when None)."""
    return load_spec_parts(path)[0]


def load_spec_parts(path: Path | None) -> tuple[RecommenderConfig, EvaluationConfig]:
    """``[model]`` and ``[evaluation]`` of a TOML file that need not be a full experiment."""
    if path is None:
        return RecommenderConfig(), EvaluationConfig()
    raw = load_toml(path)
    try:
        model = RecommenderConfig.model_validate(raw.get("model", {}))
    except ValidationError as err:
        raise _invalid(path, err, ("model",)) from err
    try:
        evaluation = EvaluationConfig.model_validate(raw.get("evaluation", {}))
    except ValidationError as err:
        raise _invalid(path, err, ("evaluation",)) from err
    return model, evaluation
