"""A model fitted once on the tiny world, and its local forecast."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathfinder.data import World
from pathfinder.forecast import ForecastConfig, ForecastResult, run_forecast
from pathfinder.recommender import Recommender

HORIZONS = (30, 90, 180)


@pytest.fixture(scope="session")
def tiny_model(tiny_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Recommender().fit(tiny_world).save(tmp_path_factory.mktemp("forecast_model") / "m")


@pytest.fixture(scope="session")
def local_forecast(
    tiny_model: Path, tiny_world: World, tmp_path_factory: pytest.TempPathFactory
) -> ForecastResult:
    out = tmp_path_factory.mktemp("forecast") / "local"
    # small chunks so that the tiny world spans several of them
    config = ForecastConfig(horizons=HORIZONS, chunk_size=64)
    return run_forecast(Recommender.load(tiny_model), tiny_world, config, out)
