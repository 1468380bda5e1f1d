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

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Framework",
    "ModelLoadError",
    "NotFittedError",
    "PathfinderError",
    "UnknownLearnerError",
    "World",
    "load_world",
]
__version__ = "0.1.0"
