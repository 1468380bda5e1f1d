"""Known-answer tests of the model components on tiny data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from pathfinder.candidates import CFConfig, CFModel, top_k
from pathfinder.errors import NotFittedError
from pathfinder.gaps import goal_targets, weighted_gaps
from pathfinder.skills import (
    KIND_ASSESSMENT,
    KIND_COMPLETION,
    FilterParams,
    Observations,
    SkillState,
)
from pathfinder.skills._filter import apply, decayed, run


def checkerboard() -> sparse.csr_matrix:
    """16 learners x 8 items in two taste blocks (items 0-3 and 4-7)."""
    m = np.zeros((16, 8))
    m[:8, :4] = 1.0
    m[8:, 4:] = 1.0
    return sparse.csr_matrix(m)


@pytest.mark.parametrize("algorithm", ["als", "bpr"])
def test_checkerboard_withheld_item_ranks_first(algorithm: str) -> None:
    m = checkerboard().tolil()
    m[0, 3] = 0.0  # withhold item 3 from learner 0
    cf = CFModel(
        CFConfig(
            algorithm=algorithm,
            factors=4,
            iterations=50,
            seed=1,
            learning_rate=0.05,
            regularization=0.01,
        )
    ).fit(m.tocsr())
    user = cf.fold_in(np.array([0, 1, 2]), np.ones(3))
    scores = cf.scores(user)
    unseen = np.ones(8, dtype=bool)
    unseen[[0, 1, 2]] = False
    assert top_k(scores, unseen, 5)[0] == 3


def test_fold_in_of_a_fitted_learner_matches_its_factors() -> None:
    cf = CFModel(CFConfig(factors=4, iterations=30, seed=0, regularization=0.01)).fit(
        checkerboard()
    )
    folded = cf.fold_in(np.array([4, 5, 6, 7]), np.ones(4))
    assert np.argmax(cf.scores(folded)) >= 4  # a block-two learner prefers block-two items
    own = cf.user_factors_[8]
    cos = folded @ own / (np.linalg.norm(folded) * np.linalg.norm(own))
    assert cos > 0.95


def test_top_k_orders_by_score_then_position() -> None:
    scores = np.array([0.5, 0.9, 0.9, 0.1, 0.7])
    eligible = np.array([True, True, True, True, False])
    assert top_k(scores, eligible, 3).tolist() == [1, 2, 0]
    assert top_k(scores, eligible, 0).tolist() == []


def test_unfitted_models_raise_clear_errors() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        CFModel().scores(np.zeros(4))


def test_weighted_gaps_and_goal_targets() -> None:
    gap, weighted = weighted_gaps(
        np.array([0.8, 0.5, 0.0]), np.array([0.3, 0.7, 0.2]), np.array([1.5, 1.0, 2.0])
    )
    assert gap.tolist() == pytest.approx([0.5, 0.0, 0.0])
    assert weighted.tolist() == pytest.approx([0.75, 0.0, 0.0])
    t = goal_targets(np.array([0.8, 0.0, 0.6]), np.array([1, 2]), 0.7)
    assert t.tolist() == [0.0, 0.7, 0.6]


def _params(half_life: float = 100.0) -> FilterParams:
    return FilterParams(half_life, 0.5, 0.0, 1.0, 0.1, 0.2, np.zeros(5), np.full(5, 0.01))


def _obs(
    rows: list[int],
    skills: list[int],
    t: list[float],
    kind: list[int],
    value: list[float],
    level: list[float] | None = None,
    gain: list[float] | None = None,
) -> Observations:
    n = len(rows)
    return Observations(
        np.array(rows),
        np.array(skills),
        np.array(t, dtype=float),
        np.array(kind),
        np.array(value, dtype=float),
        np.zeros(n, dtype=int),
        np.array(level or [np.nan] * n, dtype=float),
        np.array(gain or [np.nan] * n, dtype=float),
    )


def test_filter_forgets_towards_the_floor_with_the_half_life() -> None:
    state = SkillState(np.full((1, 2), 0.4), 0.04)
    state.mu[0, 0] = 0.8
    state.t_last[0, 0] = 0.0
    mu, _ = decayed(state, np.array([0]), np.array([0]), np.array([100.0]), _params(100.0))
    floor = 0.5 * 0.4
    assert mu[0] == pytest.approx(floor + (0.8 - floor) * 0.5)


def test_filter_assessment_pulls_towards_the_score_and_shrinks_variance() -> None:
    state = SkillState(np.full((1, 1), 0.3), 0.04)
    apply(state, _obs([0], [0], [1.0], [KIND_ASSESSMENT], [0.9]), _params())
    assert 0.3 < state.mu[0, 0] < 0.9
    assert state.mu[0, 0] == pytest.approx(0.3 + 0.04 / 0.05 * 0.6)
    assert state.var[0, 0] < 0.04
    assert state.last_score[0, 0] == 0.9


def test_filter_completion_gain_is_largest_just_above_proficiency() -> None:
    gains = []
    for level in (0.1, 0.4, 0.9):
        state = SkillState(np.full((1, 1), 0.3), 0.04)
        apply(state, _obs([0], [0], [0.0], [KIND_COMPLETION], [np.nan], [level], [0.3]), _params())
        gains.append(state.mu[0, 0] - 0.3)
    assert gains[1] > gains[0] > 0 and gains[1] > gains[2] >= 0


def test_run_applies_each_cell_in_time_order_and_touches_only_its_cells() -> None:
    obs = _obs([0, 0, 1], [1, 1, 0], [5.0, 1.0, 2.0], [KIND_ASSESSMENT] * 3, [0.9, 0.1, 0.5])
    state = SkillState(np.full((2, 2), 0.3), 0.04)
    run(state, obs, _params(1e9))
    assert state.last_score[0, 1] == 0.9  # the later observation wins
    assert state.last_score[1, 1] != state.last_score[1, 1]  # untouched cell stays empty (nan)
    assert state.mu[0, 0] == 0.3
