"""MLflow runs of the batch forecast and the report logged as their artefact."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from pathfinder.errors import ConfigError
from pathfinder.forecast import MANIFEST_FILE, ForecastResult
from pathfinder.tracking._train import configure_tracking, git_revision

__all__ = ["FORECAST_EXPERIMENT", "forecast_run", "log_report"]

log = logging.getLogger(__name__)
FORECAST_EXPERIMENT = "pathfinder-forecast"


@contextmanager
def forecast_run(params: dict[str, Any]) -> Iterator[tuple[str, Callable[[ForecastResult], None]]]:
    """An MLflow run around a forecast: yields ``(run_id, finish)``.

    Call ``finish(result)`` after the forecast: it logs row counts, timing, mean gaps per horizon
    and the manifest and aggregates as artefacts. A failure inside ends the run as FAILED.
    """
    configure_tracking()
    mlflow.set_experiment(FORECAST_EXPERIMENT)
    with mlflow.start_run(run_name="forecast", tags={"git_revision": git_revision()}) as run:
        mlflow.log_params(params)

        def finish(result: ForecastResult) -> None:
            m = result.manifest
            metrics: dict[str, float] = {
                "rows": float(result.rows),
                "learners": float(m["learners"]),
                "seconds": result.seconds,
                "rows_per_second": result.rows / max(result.seconds, 1e-9),
            }
            skill = pd.read_parquet(result.out / "aggregates" / "skill.parquet")
            for h, part in skill.groupby("horizon_days"):
                n = part["learners"].sum()
                for col in ("mean_gap_no_learning", "mean_gap_with_path", "expected_closure"):
                    metrics[f"h{int(h)}.{col}"] = float((part[col] * part["learners"]).sum() / n)
            mlflow.log_metrics(metrics)
            mlflow.set_tags(
                {
                    "framework_version": m["framework_version"],
                    "model_version": m["model_version"],
                    "as_of": m["as_of"],
                }
            )
            mlflow.log_artifact(str(result.out / MANIFEST_FILE), artifact_path="forecast")
            mlflow.log_artifacts(
                str(result.out / "aggregates"), artifact_path="forecast/aggregates"
            )

        yield run.info.run_id, finish


def log_report(run_id: str, files: list[Path]) -> None:
    """Log the report's files as artefacts (``report/``) of the forecast run ``run_id``.

    Raises
    ------
    ConfigError
        When the run cannot be found in the configured tracking store.
    """
    uri = configure_tracking()
    try:
        mlflow.MlflowClient().get_run(run_id)
        with mlflow.start_run(run_id=run_id):
            for path in files:
                mlflow.log_artifact(str(path), artifact_path="report")
    except MlflowException as err:
        raise ConfigError(
            f"forecast run {run_id} is not in the MLflow tracking store {uri}: {err.message}; "
            "set MLFLOW_TRACKING_URI to the store the forecast used, or pass --no-track"
        ) from err
