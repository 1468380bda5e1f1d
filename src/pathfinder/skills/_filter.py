"""A per-(learner, skill) filter: forgetting, assessments and completions, O(1) per observation.

The state of every cell lives in dense arrays of shape (n_learners, n_skills). The same update
functions serve the vectorised pass over history (many cells at once, one observation each) and
the online update of one cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pathfinder.data import columns as C

__all__ = [
    "KIND_ASSESSMENT",
    "KIND_COMPLETION",
    "KIND_QUIZ",
    "FilterParams",
    "Observations",
    "SkillState",
]

KIND_ASSESSMENT, KIND_COMPLETION, KIND_QUIZ = 0, 1, 2
QUIZ_METHOD = len(C.METHODS)  # method code of quiz evidence (passed/failed with a score)
_FIELDS = (
    "mu",
    "var",
    "t_last",
    "last_score",
    "t_score",
    "t_practice",
    "n_since",
    "gain_since",
    "n_obs",
)


@dataclass(frozen=True)
class Observations:
    """Evidence about skills, one row per (observation, skill), in any order.

    ``t`` is in days since the Unix epoch; ``method`` is an index into ``columns.METHODS`` (or
    ``QUIZ_METHOD``); ``level``, ``gain`` describe the item for completions (nan otherwise).
    """

    learner: np.ndarray
    skill: np.ndarray
    t: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    method: np.ndarray
    level: np.ndarray
    gain: np.ndarray

    def __len__(self) -> int:
        return len(self.learner)

    def take(self, mask: np.ndarray) -> Observations:
        return Observations(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class FilterParams:
    """Learned and configured constants of the filter."""

    half_life: float
    floor_ratio: float
    drift_per_day: float
    completion_gain: float
    zpd_offset: float
    zpd_width: float
    bias: np.ndarray  # (n_methods + 1,) additive bias of each method (last: quiz)
    noise_var: np.ndarray  # (n_methods + 1,)


@dataclass
class SkillState:
    """Dense per-cell state; ``prior`` has shape (n_learners, n_skills) too."""

    prior: np.ndarray
    prior_var: float
    mu: np.ndarray = field(init=False)
    var: np.ndarray = field(init=False)
    t_last: np.ndarray = field(init=False)
    last_score: np.ndarray = field(init=False)
    t_score: np.ndarray = field(init=False)
    t_practice: np.ndarray = field(init=False)
    n_since: np.ndarray = field(init=False)
    gain_since: np.ndarray = field(init=False)
    n_obs: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        shape = self.prior.shape
        self.mu = self.prior.copy()
        self.var = np.full(shape, self.prior_var)
        self.t_last = np.full(shape, np.nan)
        self.last_score = np.full(shape, np.nan)
        self.t_score = np.full(shape, np.nan)
        self.t_practice = np.full(shape, np.nan)
        self.n_since = np.zeros(shape)
        self.gain_since = np.zeros(shape)
        self.n_obs = np.zeros(shape)

    # -- persistence and growth
    def arrays(self) -> dict[str, np.ndarray]:
        return {"prior": self.prior, **{f: getattr(self, f) for f in _FIELDS}}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prior_var: float) -> SkillState:
        state = cls(arrays["prior"], prior_var)
        for f in _FIELDS:
            setattr(state, f, np.array(arrays[f], dtype=float))
        return state

    def append(self, prior: np.ndarray) -> int:
        """Add a row for a new learner with ``prior`` of shape (n_skills,); returns its index."""
        fresh = SkillState(prior[None, :], self.prior_var)
        self.prior = np.vstack([self.prior, fresh.prior])
        for f in _FIELDS:
            setattr(self, f, np.vstack([getattr(self, f), getattr(fresh, f)]))
        return len(self.prior) - 1

    def erase(self, row: int) -> None:
        """Forget everything observed about one learner (back to the prior)."""
        fresh = SkillState(self.prior[row][None, :], self.prior_var)
        for f in _FIELDS:
            getattr(self, f)[row] = getattr(fresh, f)[0]


def level_fit(level: np.ndarray, mu: np.ndarray, params: FilterParams) -> np.ndarray:
    return np.exp(-(((level - mu - params.zpd_offset) / params.zpd_width) ** 2))


def expected_gain(
    mu: np.ndarray, level: np.ndarray, gain: np.ndarray, params: FilterParams
) -> np.ndarray:
    """Proficiency a completion is expected to add (same shape as ``mu``)."""
    return params.completion_gain * gain * level_fit(level, mu, params) * (1.0 - mu)


def decayed(
    state: SkillState, rows: np.ndarray, cols: np.ndarray, t: np.ndarray, params: FilterParams
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of cells at time ``t`` with no new evidence (forgetting, drift)."""
    last = state.t_last[rows, cols]
    dt = np.where(np.isnan(last), 0.0, np.maximum(t - last, 0.0))
    floor = params.floor_ratio * state.prior[rows, cols]
    mu = floor + (state.mu[rows, cols] - floor) * np.exp2(-dt / params.half_life)
    var = np.minimum(state.var[rows, cols] + params.drift_per_day * dt, 0.25)
    return mu, var


def apply(state: SkillState, obs: Observations, params: FilterParams) -> np.ndarray:
    """Apply observations that touch distinct cells; returns the mean predicted just before.

    The returned prediction (bias included for assessments) is what training compares with the
    observed score.
    """
    r, c, t = obs.learner, obs.skill, obs.t
    mu, var = decayed(state, r, c, t, params)
    pred = mu + params.bias[obs.method]
    is_obs = obs.kind != KIND_COMPLETION
    noise = params.noise_var[obs.method]
    gain_k = np.where(is_obs, var / (var + noise), 0.0)
    value = np.where(is_obs, obs.value - params.bias[obs.method], 0.0)
    exp_gain = np.where(is_obs, 0.0, expected_gain(mu, obs.level, np.nan_to_num(obs.gain), params))
    new_mu = np.clip(mu + gain_k * (value - mu) + exp_gain, 0.0, 1.0)
    new_var = np.where(is_obs, var * (1.0 - gain_k), var + 0.25 * exp_gain**2)
    state.mu[r, c] = new_mu
    state.var[r, c] = new_var
    state.t_last[r, c] = t
    state.n_obs[r, c] += is_obs
    assessed = obs.kind == KIND_ASSESSMENT
    state.last_score[r[assessed], c[assessed]] = obs.value[assessed]
    state.t_score[r[assessed], c[assessed]] = t[assessed]
    state.n_since[r[assessed], c[assessed]] = 0.0
    state.gain_since[r[assessed], c[assessed]] = 0.0
    done = obs.kind == KIND_COMPLETION
    state.t_practice[r[done], c[done]] = t[done]
    state.n_since[r[done], c[done]] += 1.0
    state.gain_since[r[done], c[done]] += exp_gain[done]
    return pred


def run(
    state: SkillState,
    obs: Observations,
    params: FilterParams,
    before: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """Apply every observation in time order, vectorised across cells.

    Observations of one cell are applied in (time, kind) order; rounds process the k-th
    observation of every cell at once. Returns the pre-update prediction per observation.
    ``before(idx)`` is called with the observation indices of each round before they are applied.
    """
    n_skills = state.prior.shape[1]
    cell = obs.learner.astype(np.int64) * n_skills + obs.skill
    order = np.lexsort((obs.kind, obs.t, cell))
    sorted_cell = cell[order]
    start = np.r_[0, np.flatnonzero(np.diff(sorted_cell)) + 1]
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    pred = np.empty(len(order))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))] if len(rank) else np.array([0])
    for k in range(len(bounds) - 1):
        idx = order[by_rank[bounds[k] : bounds[k + 1]]]
        if before is not None:
            before(idx)
        pred[idx] = apply(state, obs.take(idx), params)
    return pred
