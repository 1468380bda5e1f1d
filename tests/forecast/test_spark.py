"""Two engines, one result: Spark (local mode, one session for the module) against pandas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pathfinder.data import World
from pathfinder.forecast import COLUMNS, DIMENSIONS, ForecastConfig, ForecastResult, run_forecast
from pathfinder.recommender import Recommender
from tests.forecast.conftest import HORIZONS
from tests.forecast.test_forecast import read_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]
pyspark = pytest.importorskip("pyspark")

NUMERIC = [
    c for c in COLUMNS if c not in ("learner_id", "team", "region", "role", "skill_id", "domain")
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pathfinder.forecast import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_forecast(
    spark: Any, tiny_model: Path, tiny_world: World, tmp_path_factory: pytest.TempPathFactory
) -> ForecastResult:
    out = tmp_path_factory.mktemp("forecast_spark") / "spark"
    config = ForecastConfig(horizons=HORIZONS, chunk_size=64, engine="spark")
    return run_forecast(Recommender.load(tiny_model), tiny_world, config, out, spark=spark)


def test_engines_agree_row_for_row(
    spark_forecast: ForecastResult, local_forecast: ForecastResult
) -> None:
    local, remote = read_rows(local_forecast.out), read_rows(spark_forecast.out)
    assert len(remote) == len(local) == spark_forecast.rows
    assert not remote.duplicated(["learner_id", "skill_id", "horizon_days"]).any()
    for col in ("learner_id", "team", "region", "role", "skill_id", "domain", "horizon_days"):
        assert (remote[col].to_numpy() == local[col].to_numpy()).all(), col
    for col in NUMERIC:
        np.testing.assert_allclose(
            remote[col].to_numpy(dtype=float),
            local[col].to_numpy(dtype=float),
            rtol=1e-12,
            atol=1e-12,
            err_msg=col,
        )
    assert spark_forecast.manifest["engine"] == "spark"


def test_engines_agree_on_aggregates(
    spark_forecast: ForecastResult, local_forecast: ForecastResult
) -> None:
    for name, keys in DIMENSIONS.items():
        cols = [*keys, "horizon_days"]
        a = pd.read_parquet(local_forecast.out / "aggregates" / f"{name}.parquet")
        b = pd.read_parquet(spark_forecast.out / "aggregates" / f"{name}.parquet")
        a, b = (f.sort_values(cols).reset_index(drop=True) for f in (a, b))
        assert len(a) == len(b) > 0
        for col in a.columns:
            if col in keys:
                assert (a[col].astype(str) == b[col].astype(str)).all()
            else:
                np.testing.assert_allclose(
                    b[col].to_numpy(dtype=float),
                    a[col].to_numpy(dtype=float),
                    rtol=1e-9,
                    err_msg=f"{name}.{col}",
                )


def test_spark_rerun_is_idempotent(
    spark: Any, spark_forecast: ForecastResult, tiny_model: Path, tiny_world: World
) -> None:
    config = ForecastConfig(horizons=HORIZONS, chunk_size=64, engine="spark")
    again = run_forecast(
        Recommender.load(tiny_model), tiny_world, config, spark_forecast.out, spark=spark
    )
    rows = read_rows(again.out)
    assert len(rows) == again.rows == spark_forecast.rows
    assert not rows.duplicated(["learner_id", "skill_id", "horizon_days"]).any()
