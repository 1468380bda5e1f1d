"""Experiment tracking and the model registry (MLflow). Only entry points import this package."""

from pathfinder.tracking._forecast import FORECAST_EXPERIMENT, forecast_run, log_report
from pathfinder.tracking._promote import Decision, promote
from pathfinder.tracking._train import TrainResult, configure_tracking, git_revision, train

__all__ = [
    "FORECAST_EXPERIMENT",
    "Decision",
    "TrainResult",
    "configure_tracking",
    "forecast_run",
    "git_revision",
    "log_report",
    "promote",
    "train",
]
