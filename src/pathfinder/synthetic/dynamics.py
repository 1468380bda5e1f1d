"""Ground-truth learning dynamics of the synthetic world.

Only the generator and offline evaluation (the path simulator) may use this module: it *is* the
hidden truth that the models must discover from observable data.

All functions are vectorised over rows (learner x item pairs or learner x skill cells).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Dynamics"]

MODALITY_CODES = {"microlearning": 0, "coaching": 1, "project": 2}


class Dynamics(BaseModel):
    """Parameters of how latent proficiency grows, decays and is observed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zpd_offset: float = Field(0.10, description="Best item level sits this far above proficiency.")
    zpd_width: float = Field(0.14, description="Width of the level-fit bell curve.")
    gain_scale: float = Field(1.5, description="Overall multiplier of a completion's gain.")
    unmet_skill_prereq_factor: float = Field(0.35, description="Gain factor, skill prereqs unmet.")
    unmet_item_prereq_factor: float = Field(0.35, description="Gain factor, item prereqs not done.")
    mastery: float = Field(0.6, description="Proficiency at which a prerequisite skill is met.")
    floor_share: float = Field(0.6, description="Forgetting decays towards this x initial level.")
    spacing_boost: float = Field(0.3, description="Half-life growth per well-spaced practice.")
    spacing_days: float = Field(14.0, description="Gap after which practice counts as spaced.")
    max_half_life_days: float = Field(720.0)
    noise_sd: dict[str, float] = Field(
        default_factory=lambda: {"test": 0.05, "observation": 0.11, "360": 0.09, "manager": 0.13},
        description="Assessment noise per method.",
    )
    manager_bias: float = Field(0.04, description="Managers rate a little high.")

    # ---- learning
    def modality_factor(self, modality: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Microlearning works best at low proficiency, coaching and projects at higher."""
        out: np.ndarray = np.select(
            [modality == 0, modality == 1], [1.25 - 0.8 * p, 0.55 + 0.9 * p], 0.35 + 1.1 * p
        )
        return out

    def level_fit(self, level: np.ndarray, p: np.ndarray) -> np.ndarray:
        """1 when the item's level sits just above proficiency, falling off on both sides."""
        return np.exp(-(((level - p - self.zpd_offset) / self.zpd_width) ** 2))

    def gain(
        self,
        p: np.ndarray,
        nominal: np.ndarray,
        level: np.ndarray,
        modality: np.ndarray,
        skill_prereqs_met: np.ndarray,
        item_prereqs_met: np.ndarray,
        rate: np.ndarray,
    ) -> np.ndarray:
        """Proficiency gained by completing an item, per (pair, skill) cell.

        All arguments broadcast to the same shape; ``p`` is the current proficiency, ``nominal``
        the catalogue's gain for the skill (0 where the item does not teach it).
        """
        pre = np.where(skill_prereqs_met, 1.0, self.unmet_skill_prereq_factor) * np.where(
            item_prereqs_met, 1.0, self.unmet_item_prereq_factor
        )
        g = (
            self.gain_scale
            * nominal
            * self.level_fit(level, p)
            * self.modality_factor(modality, p)
            * pre
            * rate
            * (1.0 - p)
        )
        return np.clip(g, 0.0, 1.0 - p)

    # ---- forgetting
    def decay(
        self, p: np.ndarray, floor: np.ndarray, half_life: np.ndarray, days: float | np.ndarray
    ) -> np.ndarray:
        """Proficiency after ``days`` without practice: exponential decay towards ``floor``."""
        return floor + (p - floor) * np.exp2(-np.asarray(days) / half_life)

    def practised_half_life(self, half_life: np.ndarray, days_since: np.ndarray) -> np.ndarray:
        """Half-life after a practice; spaced practice (not cramming) slows forgetting more."""
        spaced = np.clip(days_since / self.spacing_days, 0.0, 1.0)
        return np.minimum(half_life * (1.0 + self.spacing_boost * spaced), self.max_half_life_days)

    # ---- engagement
    def completion_probability(
        self,
        p: np.ndarray,
        level: np.ndarray,
        duration_min: np.ndarray,
        modality: np.ndarray,
        diligence: np.ndarray,
    ) -> np.ndarray:
        """Chance that a launched item is completed: harder, longer items are dropped more."""
        z = (
            1.3
            + diligence
            - 4.0 * np.maximum(0.0, level - p - 0.15)
            - 0.2 * duration_min / 60.0
            + np.select([modality == 1, modality == 2], [0.6, -0.1], 0.0)
        )
        return 1.0 / (1.0 + np.exp(-z))
