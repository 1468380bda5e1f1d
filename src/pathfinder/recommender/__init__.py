"""The Recommender: skill state -> gaps -> candidates -> ranker -> sequencer (DESIGN §5)."""

from pathfinder.recommender._config import RecommenderConfig, TrainingConfig
from pathfinder.recommender._recommender import Recommender

__all__ = ["Recommender", "RecommenderConfig", "TrainingConfig"]
