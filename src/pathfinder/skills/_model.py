"""The skill state model: a forgetting-aware filter plus a LightGBM correction."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from pathfinder import trees
from pathfinder.data import columns as C
from pathfinder.errors import NotFittedError
from pathfinder.skills import _filter as F
from pathfinder.skills._config import SkillStateConfig

__all__ = ["FEATURES", "SkillStateModel"]

FEATURES = (
    "mu",
    "sd",
    "last_score",
    "days_since_score",
    "days_since_practice",
    "completions_since_score",
    "expected_gain_since_score",
    "prior",
    "n_evidence",
    "method",
    "target",
    "last_score_decayed",
)
_TEST = C.METHODS.index("test")
_DEFAULT_NOISE = np.array([0.06, 0.11, 0.09, 0.13, 0.12]) ** 2


class SkillStateModel:
    """Proficiency per learner x skill at any time, with uncertainty.

    A filter tracks each (learner, skill) cell: proficiency decays towards a floor with a
    half-life chosen on training data, assessments update it by their method's noise and bias,
    completions add an expected gain that depends on the item's level. A LightGBM regressor,
    trained to predict later assessment scores from the filter state and the learner's history,
    corrects the filter's mean. Both update in O(1) per observation (:meth:`observe`).

    Parameters
    ----------
    config : SkillStateConfig, optional
    """

    def __init__(self, config: SkillStateConfig | None = None) -> None:
        self.config = config or SkillStateConfig()

    # ------------------------------------------------------------------ fit
    def fit(
        self, obs: F.Observations, group: np.ndarray, targets: np.ndarray, n_groups: int
    ) -> SkillStateModel:
        """Learn from observations of learners ``0..len(group)-1``.

        Parameters
        ----------
        obs : Observations
            Evidence up to the fit time (see :class:`~pathfinder.skills.Observations`).
        group : ndarray of int, shape (n_learners,)
            Prior group of each learner (its role index).
        targets : ndarray, shape (n_learners, n_skills)
            Target proficiency of each learner (a feature of the correction).
        n_groups : int
        """
        cfg = self.config
        n_skills = targets.shape[1]
        self.group_prior_ = self._priors(obs, group, n_groups, n_skills)
        prior = self.group_prior_[group]
        assess = obs.kind == F.KIND_ASSESSMENT
        best: tuple[float, float] | None = None
        for h in cfg.half_life_grid:
            params = self._params(h, np.zeros(len(_DEFAULT_NOISE)), _DEFAULT_NOISE)
            pred = F.run(F.SkillState(prior, cfg.prior_sd**2), obs, params)
            mse = float(np.mean((pred[assess] - obs.value[assess]) ** 2)) if assess.any() else 0.0
            if best is None or mse < best[0]:
                best = (mse, h)
        assert best is not None
        half_life = best[1]
        # method bias and noise by moments, from a pass with the chosen half-life
        params = self._params(half_life, np.zeros(len(_DEFAULT_NOISE)), _DEFAULT_NOISE)
        state = F.SkillState(prior, cfg.prior_sd**2)
        pre_var = np.zeros(len(obs))

        def keep_var(idx: np.ndarray) -> None:
            pre_var[idx] = F.decayed(state, obs.learner[idx], obs.skill[idx], obs.t[idx], params)[1]

        pred = F.run(state, obs, params, before=keep_var)
        bias, noise = np.zeros(len(_DEFAULT_NOISE)), _DEFAULT_NOISE.copy()
        observed = obs.kind != F.KIND_COMPLETION
        for m in range(len(bias)):
            rows = observed & (obs.method == m)
            if rows.sum() >= 30:
                resid = obs.value[rows] - pred[rows]
                bias[m] = float(resid.mean()) if m != _TEST else 0.0
                noise[m] = max(float(resid.var() - pre_var[rows].mean()), 1e-4)
        self.params_ = self._params(half_life, bias, noise)
        # final pass: the state at fit time, and correction features at every assessment
        state = F.SkillState(prior, cfg.prior_sd**2)
        feats = np.zeros((len(obs), len(FEATURES)), dtype=np.float32)

        def record(idx: np.ndarray) -> None:
            a = idx[assess[idx]]
            feats[a] = self._features(
                state,
                obs.learner[a],
                obs.skill[a],
                obs.t[a],
                obs.method[a],
                targets[obs.learner[a], obs.skill[a]],
            )

        F.run(state, obs, self.params_, before=record)
        self.state_ = state
        self.targets_ = targets
        self.mse_filter_ = best[0]
        self.booster_: lgb.Booster | None = None
        if assess.sum() >= 200:
            # the booster learns the residual over the filter (init score), so where history
            # is unlike the training data the estimate falls back on the filter, not a guess
            data = lgb.Dataset(
                feats[assess],
                obs.value[assess],
                init_score=self._filter_mean(feats[assess]),
                feature_name=list(FEATURES),
                categorical_feature=["method"],
                free_raw_data=True,
            )
            self.booster_ = lgb.train(
                {
                    "objective": "regression",
                    "num_leaves": cfg.gbm_leaves,
                    "learning_rate": cfg.gbm_learning_rate,
                    "min_data_in_leaf": 50,
                    "feature_fraction": 0.9,
                    "bagging_fraction": 0.8,
                    "bagging_freq": 1,
                    "seed": cfg.seed,
                    "deterministic": True,
                    "num_threads": 1,
                    "verbose": -1,
                },
                data,
                num_boost_round=cfg.gbm_rounds,
            )
        return self

    def _params(self, half_life: float, bias: np.ndarray, noise: np.ndarray) -> F.FilterParams:
        cfg = self.config
        return F.FilterParams(
            half_life,
            cfg.floor_ratio,
            cfg.drift_per_day,
            cfg.completion_gain,
            cfg.zpd_offset,
            cfg.zpd_width,
            bias,
            noise,
        )

    @staticmethod
    def _priors(
        obs: F.Observations, group: np.ndarray, n_groups: int, n_skills: int, shrink: float = 10.0
    ) -> np.ndarray:
        """Mean assessment score per (group, skill), shrunk towards the skill and global means.

        Shape (n_groups + 1, n_skills); the last row (skill means) serves unknown groups.
        """
        a = obs.kind == F.KIND_ASSESSMENT
        g, s, v = group[obs.learner[a]], obs.skill[a], obs.value[a]
        overall = float(v.mean()) if len(v) else 0.3
        s_sum = np.bincount(s, v, minlength=n_skills)
        s_cnt = np.bincount(s, minlength=n_skills)
        skill_mean = (s_sum + shrink * overall) / (s_cnt + shrink)
        cell = g * n_skills + s
        g_sum = np.bincount(cell, v, minlength=n_groups * n_skills).reshape(n_groups, n_skills)
        g_cnt = np.bincount(cell, minlength=n_groups * n_skills).reshape(n_groups, n_skills)
        return np.vstack([(g_sum + shrink * skill_mean[None, :]) / (g_cnt + shrink), skill_mean])

    # ------------------------------------------------------------------ features
    def _features(
        self,
        state: F.SkillState,
        rows: np.ndarray,
        cols: np.ndarray,
        t: np.ndarray,
        method: np.ndarray,
        target: np.ndarray,
    ) -> np.ndarray:
        params = self.params_
        mu, var = F.decayed(state, rows, cols, t, params)
        last = state.last_score[rows, cols]
        since_score = t - state.t_score[rows, cols]
        floor = params.floor_ratio * state.prior[rows, cols]
        baseline = np.where(
            np.isnan(last),
            state.prior[rows, cols],
            floor + (last - floor) * np.exp2(-np.nan_to_num(since_score) / params.half_life),
        )
        return np.column_stack(
            [
                mu,
                np.sqrt(var),
                last,
                since_score,
                t - state.t_practice[rows, cols],
                state.n_since[rows, cols],
                state.gain_since[rows, cols],
                state.prior[rows, cols],
                state.n_obs[rows, cols],
                method,
                target,
                baseline,
            ]
        ).astype(np.float32)

    def _filter_mean(self, feats: np.ndarray) -> np.ndarray:
        """The filter's predicted score (mean plus the method's bias) from a feature matrix."""
        method = feats[:, FEATURES.index("method")].astype(np.int64)
        return np.asarray(feats[:, 0], dtype=float) + self.params_.bias[method]

    def _corrected(self, feats: np.ndarray) -> np.ndarray:
        """Filter prediction plus the booster's learned residual."""
        base = self._filter_mean(feats)
        if self.booster_ is None:
            return base
        return base + trees.predict(self.booster_, feats)

    def _check(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError("SkillStateModel is not fitted: call fit() or load a bundle")

    # ------------------------------------------------------------------ predict
    def predict(
        self, rows: np.ndarray, t: float | np.ndarray, targets: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Proficiency and its standard deviation, shape (len(rows), n_skills), at day ``t``."""
        self._check()
        n_skills = self.state_.prior.shape[1]
        r = np.repeat(np.asarray(rows), n_skills)
        c = np.tile(np.arange(n_skills), len(rows))
        tt = np.broadcast_to(np.asarray(t, dtype=float), (len(rows),))
        tt = np.repeat(tt, n_skills)
        tgt = self.targets_[r, c] if targets is None else np.asarray(targets).ravel()
        feats = self._features(self.state_, r, c, tt, np.full(len(r), _TEST), tgt)
        mean = self._corrected(feats)
        shape = (len(rows), n_skills)
        return np.clip(mean, 0.0, 1.0).reshape(shape), feats[:, 1].reshape(shape).astype(float)

    def predict_scores(
        self, rows: np.ndarray, skills: np.ndarray, t: np.ndarray, method: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Predicted assessment scores for given cells/times by model, filter and baseline."""
        self._check()
        feats = self._features(self.state_, rows, skills, t, method, self.targets_[rows, skills])
        return {
            "model": np.clip(self._corrected(feats), 0, 1),
            "filter": np.clip(self._filter_mean(feats), 0, 1),
            "last_score_decayed": feats[:, -1],
        }

    def decay_to(self, rows: np.ndarray, t: float) -> np.ndarray:
        """Filter mean of ``rows`` at day ``t`` with no further evidence (forgetting only)."""
        self._check()
        n_skills = self.state_.prior.shape[1]
        r = np.repeat(np.asarray(rows), n_skills)
        c = np.tile(np.arange(n_skills), len(rows))
        mu, _ = F.decayed(self.state_, r, c, np.full(len(r), float(t)), self.params_)
        return mu.reshape(len(rows), n_skills)

    # ------------------------------------------------------------------ online
    def observe(self, obs: F.Observations) -> None:
        """Apply new evidence in O(1) per observation (rows must already exist)."""
        self._check()
        F.run(self.state_, obs, self.params_)

    def add_learner(self, group: int, targets: np.ndarray) -> int:
        """Add a cold-start learner of prior ``group``; returns its row."""
        self._check()
        self.targets_ = np.vstack([self.targets_, targets[None, :]])
        return self.state_.append(self.group_prior_[group])

    def forget(self, row: int) -> None:
        """Erase everything observed about ``row`` (right to erasure)."""
        self._check()
        self.state_.erase(row)
