"""Ranking: per-(learner, item) features and a LightGBM LambdaRank model."""

from pathfinder.ranking._features import (
    RANK_FEATURES,
    UNREADY_WEIGHT,
    LearnerView,
    rank_features,
    skill_readiness,
)
from pathfinder.ranking._ranker import PathRanker, RankerConfig

__all__ = [
    "RANK_FEATURES",
    "UNREADY_WEIGHT",
    "LearnerView",
    "PathRanker",
    "RankerConfig",
    "rank_features",
    "skill_readiness",
]
