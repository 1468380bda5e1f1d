"""Experiment tracking and the model registry (MLflow). Only entry points import this package."""

from pathfinder.tracking._promote import Decision, promote
from pathfinder.tracking._train import TrainResult, configure_tracking, git_revision, train

__all__ = ["Decision", "TrainResult", "configure_tracking", "git_revision", "promote", "train"]
