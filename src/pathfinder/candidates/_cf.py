"""Implicit-feedback collaborative filtering (implicit ALS or BPR) with least-squares fold-in."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from pathfinder.candidates._config import CFConfig
from pathfinder.errors import NotFittedError

__all__ = ["CFModel"]


class CFModel:
    """Learner and item factors from a confidence-weighted learner x item matrix.

    Parameters
    ----------
    config : CFConfig, optional

    Notes
    -----
    Learners unseen at fit time, or with new events, get factors by the ALS closed form
    ``u = (YᵀY + Yᵀ(C−I)Y + λI)⁻¹ YᵀC p`` over their engagement row (:meth:`fold_in`), so a
    running service reflects new evidence without retraining. For BPR the same least-squares
    fold-in is used on BPR's item factors (an approximation).
    """

    def __init__(self, config: CFConfig | None = None) -> None:
        self.config = config or CFConfig()

    def fit(self, confidence: sparse.csr_matrix) -> CFModel:
        """Fit on ``confidence`` of shape (n_learners, n_items)."""
        cfg = self.config
        import implicit.cpu.als
        import implicit.cpu.bpr

        model: (
            implicit.cpu.als.AlternatingLeastSquares | implicit.cpu.bpr.BayesianPersonalizedRanking
        )
        with threadpool_limits(1, "blas"):
            if cfg.algorithm == "als":
                model = implicit.cpu.als.AlternatingLeastSquares(
                    factors=cfg.factors,
                    regularization=cfg.regularization,
                    alpha=cfg.alpha,
                    iterations=cfg.iterations,
                    random_state=cfg.seed,
                    calculate_training_loss=False,
                    num_threads=1,
                )
            else:
                model = implicit.cpu.bpr.BayesianPersonalizedRanking(
                    factors=cfg.factors,
                    learning_rate=cfg.learning_rate,
                    regularization=cfg.regularization,
                    iterations=cfg.iterations,
                    random_state=cfg.seed,
                    num_threads=1,
                )
            model.fit(sparse.csr_matrix(confidence, dtype=np.float32), show_progress=False)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float64)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float64)
        self._prepare()
        return self

    def _prepare(self) -> None:
        y = self.item_factors_
        self.yty_ = y.T @ y

    @classmethod
    def from_factors(cls, config: CFConfig, user: np.ndarray, item: np.ndarray) -> CFModel:
        model = cls(config)
        model.user_factors_ = user
        model.item_factors_ = item
        model._prepare()
        return model

    def _check(self) -> None:
        if not hasattr(self, "item_factors_"):
            raise NotFittedError("CFModel is not fitted: call fit() or load a bundle")

    def fold_in(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Factors of a learner with engagement ``weights`` on item positions ``items``."""
        self._check()
        y = self.item_factors_
        k = y.shape[1]
        if len(items) == 0:
            return np.zeros(k)
        yi = y[items]
        c = 1.0 + self.config.alpha * np.asarray(weights, dtype=float)
        a = self.yty_ + (yi.T * (c - 1.0)) @ yi + self.config.regularization * np.eye(k)
        b = yi.T @ c
        return np.linalg.solve(a, b)

    def scores(self, user: np.ndarray) -> np.ndarray:
        """CF score of every item for one learner's factors, shape (n_items,)."""
        self._check()
        return self.item_factors_ @ user
