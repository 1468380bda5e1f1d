"""Skill state: proficiency per learner x skill over time, with uncertainty (DESIGN §5)."""

from pathfinder.skills._config import SkillStateConfig
from pathfinder.skills._filter import (
    KIND_ASSESSMENT,
    KIND_COMPLETION,
    KIND_QUIZ,
    QUIZ_METHOD,
    FilterParams,
    Observations,
    SkillState,
    expected_gain,
)
from pathfinder.skills._model import FEATURES, SkillStateModel

__all__ = [
    "FEATURES",
    "KIND_ASSESSMENT",
    "KIND_COMPLETION",
    "KIND_QUIZ",
    "QUIZ_METHOD",
    "FilterParams",
    "Observations",
    "SkillState",
    "SkillStateConfig",
    "SkillStateModel",
    "expected_gain",
]
