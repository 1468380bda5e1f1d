"""The Recommender: skill state -> gaps -> candidates -> ranker -> sequencer (DESIGN §5)."""

from pathfinder.recommender._config import RecommenderConfig, TrainingConfig
from pathfinder.recommender._engine import Engine, LearnerSnapshot
from pathfinder.recommender._recommender import Policy, PolicyView, Recommender

__all__ = [
    "Engine",
    "LearnerSnapshot",
    "Policy",
    "PolicyView",
    "Recommender",
    "RecommenderConfig",
    "TrainingConfig",
]
