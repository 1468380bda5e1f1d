"""pathfinder: personalised learning paths inside a co-created competency framework."""

from pathfinder.data import Framework, World, load_world
from pathfinder.errors import (
    ConfigError,
    DataValidationError,
    ModelLoadError,
    NotFittedError,
    PathfinderError,
    UnknownLearnerError,
)
from pathfinder.recommender import Recommender, RecommenderConfig
from pathfinder.schemas import RecommendRequest, RecommendResponse

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Framework",
    "ModelLoadError",
    "NotFittedError",
    "PathfinderError",
    "RecommendRequest",
    "RecommendResponse",
    "Recommender",
    "RecommenderConfig",
    "UnknownLearnerError",
    "World",
    "load_world",
]
__version__ = "0.1.0"
