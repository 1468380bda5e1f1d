"""Offline evaluation against baselines, with simulated learning gain (DESIGN §6).

Reads the synthetic world's ground truth (for the simulator); models never import this package.
"""

from pathfinder.evaluation._evaluate import (
    EvaluationConfig,
    EvaluationResult,
    PolicyFactory,
    evaluate,
)
from pathfinder.evaluation._metrics import average_precision_at_k, ndcg_at_k, recall_at_k
from pathfinder.evaluation._simulator import GroundTruth, PathSimulator

__all__ = [
    "EvaluationConfig",
    "EvaluationResult",
    "GroundTruth",
    "PathSimulator",
    "PolicyFactory",
    "average_precision_at_k",
    "evaluate",
    "ndcg_at_k",
    "recall_at_k",
]
