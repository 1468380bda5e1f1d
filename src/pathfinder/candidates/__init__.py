"""Candidate generation: CF (implicit ALS/BPR), gap-driven content, popular in role/region."""

from pathfinder.candidates._cf import CFModel
from pathfinder.candidates._config import CandidateConfig, CFConfig
from pathfinder.candidates._sources import gap_scores, group_popularity, top_k

__all__ = ["CFConfig", "CFModel", "CandidateConfig", "gap_scores", "group_popularity", "top_k"]
