"""Batch forecast of future skill gaps for every learner x skill, locally or on Spark (DESIGN §8).

Model code: imports neither mlflow nor bentoml; the CLI logs the run.
"""

from pathfinder.forecast._aggregate import DIMENSIONS, finish, partial_sums
from pathfinder.forecast._chunk import COLUMNS, KEY, SCHEMA, chunk_bounds, forecast_chunk
from pathfinder.forecast._config import ForecastConfig
from pathfinder.forecast._engines import ProgressFn, run_local, run_spark, spark_session
from pathfinder.forecast._evidence import apply_new_evidence, load_evidence
from pathfinder.forecast._kernel import ForecastKernel
from pathfinder.forecast._path import PathForecast, forecast_paths
from pathfinder.forecast._run import MANIFEST_FILE, ForecastResult, read_manifest, run_forecast

__all__ = [
    "COLUMNS",
    "DIMENSIONS",
    "KEY",
    "MANIFEST_FILE",
    "SCHEMA",
    "ForecastConfig",
    "ForecastKernel",
    "ForecastResult",
    "PathForecast",
    "ProgressFn",
    "apply_new_evidence",
    "chunk_bounds",
    "finish",
    "forecast_chunk",
    "forecast_paths",
    "load_evidence",
    "partial_sums",
    "read_manifest",
    "run_forecast",
    "run_local",
    "run_spark",
    "spark_session",
]
