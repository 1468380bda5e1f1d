"""The chance that a learner completes an item once they start it (a path step they follow).

The ranker learns what a learner takes of their own accord; a path asks them to start an item,
and what it closes then depends on whether they finish it. This is a logistic model of
completion given a launch, over a few per-(learner, item) features — how far the item's level
sits above the learner's proficiency (a piecewise-linear basis), duration, modality, readiness
and language — fitted on the launched examples of the ranker's training data (the same decision
times, so no feature sees anything after its decision time).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from pathfinder.errors import ModelLoadError, NotFittedError
from pathfinder.ranking._features import RANK_FEATURES

__all__ = ["CompletionChance"]

_F = {name: k for k, name in enumerate(RANK_FEATURES)}
#: Knots of the level-above-proficiency basis: completion falls once an item is too hard.
KNOTS = (-0.1, 0.0, 0.1, 0.2, 0.3)
BASIS = (
    "level_minus_proficiency",
    *(f"level_above_{k:+.1f}" for k in KNOTS),
    "duration_hours",
    "coaching",
    "project",
    "prerequisite_items_ready",
    "prerequisite_skills_ready",
    "not_own_language",
    "uncertainty_primary",
)


def _basis(X: np.ndarray) -> np.ndarray:
    lmp = X[:, _F["level_minus_proficiency"]].astype(float)
    modality = X[:, _F["modality"]]
    return np.column_stack(
        [
            lmp,
            *(np.maximum(0.0, lmp - k) for k in KNOTS),
            X[:, _F["duration_min"]] / 60.0,
            modality == 1,
            modality == 2,
            X[:, _F["prerequisite_items_ready"]],
            X[:, _F["prerequisite_skills_ready"]],
            X[:, _F["language_rank"]] > 0,
            X[:, _F["uncertainty_primary"]],
        ]
    ).astype(float)


class CompletionChance:
    """Logistic model of completion given a launch, over ranker feature rows.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    """

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> CompletionChance:
        """Fit on ranker examples: ``X`` of shape (n, len(RANK_FEATURES)), labels ``y`` in 0..3.

        Only launched examples (``y >= 1``) count; the target is completion (``y >= 2``). With
        no launched example, or only one outcome among them, every item gets the observed rate.
        """
        launched = y >= 1
        done = y[launched] >= 2
        self.intercept_ = 0.0
        self.coef_ = np.zeros(len(BASIS))
        if launched.any() and 0 < done.sum() < len(done):
            lr = LogisticRegression(C=self.C, max_iter=1000)
            lr.fit(_basis(X[launched]), done)
            self.coef_ = lr.coef_[0].astype(float)
            self.intercept_ = float(lr.intercept_[0])
        elif launched.any():
            rate = float(np.clip(done.mean(), 1e-3, 1 - 1e-3))
            self.intercept_ = float(np.log(rate / (1 - rate)))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Chance of completing each row's item once started, shape (n,), in (0, 1)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("CompletionChance is not fitted: call fit() or load a bundle")
        z = _basis(X) @ self.coef_ + self.intercept_
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Coefficients by basis name (JSON, for the bundle)."""
        return {
            "intercept": self.intercept_,
            "coef": dict(zip(BASIS, map(float, self.coef_), strict=True)),
            "C": self.C,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CompletionChance:
        """Inverse of :meth:`to_dict`; a precise :class:`ModelLoadError` on any mismatch."""
        try:
            coef = data["coef"]
            if list(coef) != list(BASIS):
                raise ModelLoadError(
                    f"completion model has terms {list(coef)}, this version uses {list(BASIS)}; "
                    "retrain the model"
                )
            model = cls(float(data["C"]))
            model.coef_ = np.array([float(coef[name]) for name in BASIS])
            model.intercept_ = float(data["intercept"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelLoadError(f"completion model in bundle.json is malformed: {err!r}") from err
        if not np.isfinite(model.coef_).all() or not np.isfinite(model.intercept_):
            raise ModelLoadError("completion model in bundle.json has non-finite coefficients")
        return model
