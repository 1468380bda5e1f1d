"""Ranking: per-(learner, item) features and a LightGBM LambdaRank model."""

from pathfinder.ranking._features import (
    RANK_FEATURES,
    LearnerView,
    rank_features,
    skill_readiness,
)
from pathfinder.ranking._ranker import PathRanker, RankerConfig

__all__ = [
    "RANK_FEATURES",
    "LearnerView",
    "PathRanker",
    "RankerConfig",
    "rank_features",
    "skill_readiness",
]
