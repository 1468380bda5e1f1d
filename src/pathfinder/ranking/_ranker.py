"""LightGBM model of what a learner takes, over per-(learner, item) features."""

from __future__ import annotations

from typing import Literal

import lightgbm as lgb
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pathfinder import trees
from pathfinder.errors import ModelLoadError, NotFittedError
from pathfinder.ranking._features import CATEGORICAL, RANK_FEATURES

__all__ = ["PathRanker", "RankerConfig"]


class RankerConfig(BaseModel):
    """Hyper-parameters of :class:`PathRanker`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objective: Literal["binary", "lambdarank"] = Field(
        "binary",
        description="'binary': the chance that the learner completes the item within the label "
        "window (a probability, which the slate weighs against gap closure); 'lambdarank': a "
        "ranking score trained with ``label_gain``.",
    )
    rounds: int = Field(100, ge=1, le=5000, description="Boosting rounds.")
    num_leaves: int = Field(15, ge=4, le=1024)
    learning_rate: float = Field(0.05, gt=0, le=1)
    min_data_in_leaf: int = Field(20, ge=1)
    label_gain: tuple[float, ...] = Field(
        (0.0, 1.0, 3.0, 7.0),
        description="Gain per label: 0 none, 1 launched, 2 completed, 3 completed + measured gain "
        "(lambdarank only).",
    )
    seed: int = Field(0, ge=0)


class PathRanker:
    """Scores candidate items for one learner: LightGBM ``binary`` (chance of completing) or
    ``lambdarank``.

    Parameters
    ----------
    config : RankerConfig, optional
    """

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()

    def fit(self, X: np.ndarray, y: np.ndarray, group_sizes: np.ndarray) -> PathRanker:
        """Fit on features ``X`` (n, n_features), labels ``y`` in 0..3 and query group sizes.

        The binary objective learns ``y >= 2`` (completed).
        """
        cfg = self.config
        binary = cfg.objective == "binary"
        data = lgb.Dataset(
            X,
            (y >= 2).astype(float) if binary else y,
            group=None if binary else group_sizes,
            feature_name=list(RANK_FEATURES),
            categorical_feature=list(CATEGORICAL),
            free_raw_data=True,
        )
        params: dict[str, object] = {
            "num_leaves": cfg.num_leaves,
            "learning_rate": cfg.learning_rate,
            "min_data_in_leaf": cfg.min_data_in_leaf,
            "seed": cfg.seed,
            "deterministic": True,
            "num_threads": 1,
            "verbose": -1,
        }
        if binary:
            params.update(objective="binary", metric="binary_logloss")
        else:
            params.update(
                objective="lambdarank",
                metric="ndcg",
                eval_at=[10],
                label_gain=list(cfg.label_gain),
            )
        self.booster_ = lgb.train(params, data, num_boost_round=cfg.rounds)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Scores (higher is better), shape (n,): probabilities for the binary objective.

        Through the compiled trees (:mod:`pathfinder.trees`), one thread.
        """
        if not hasattr(self, "booster_"):
            raise NotFittedError("PathRanker is not fitted: call fit() or load a bundle")
        return trees.predict(self.booster_, X)

    def feature_importance(self) -> dict[str, float]:
        """Total gain per feature."""
        gain = self.booster_.feature_importance(importance_type="gain")
        return dict(zip(RANK_FEATURES, map(float, gain), strict=True))

    def to_text(self) -> str:
        return str(self.booster_.model_to_string())

    @classmethod
    def from_text(cls, text: str, config: RankerConfig | None = None) -> PathRanker:
        ranker = cls(config)
        try:
            ranker.booster_ = lgb.Booster(model_str=text)
        except lgb.basic.LightGBMError as err:
            raise ModelLoadError(f"ranker model is not a valid LightGBM text model: {err}") from err
        if ranker.booster_.feature_name() != list(RANK_FEATURES):
            raise ModelLoadError(
                f"ranker was trained on features {ranker.booster_.feature_name()}, "
                f"this version uses {list(RANK_FEATURES)}; retrain the model"
            )
        return ranker
