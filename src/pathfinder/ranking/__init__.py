"""Ranking: per-(learner, item) features, a LightGBM model of what a learner takes and a
logistic model of completing what a path asks them to start."""

from pathfinder.ranking._completion import CompletionChance
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
    "CompletionChance",
    "LearnerView",
    "PathRanker",
    "RankerConfig",
    "rank_features",
    "skill_readiness",
]
