"""Known-answer tests of the ranker and its features."""

from __future__ import annotations

import numpy as np
import pytest

from pathfinder.catalog import CatalogArrays
from pathfinder.errors import ModelLoadError, NotFittedError
from pathfinder.ranking import (
    RANK_FEATURES,
    CompletionChance,
    LearnerView,
    PathRanker,
    RankerConfig,
    rank_features,
)


def test_binary_ranker_predicts_calibrated_chances() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, len(RANK_FEATURES))).astype(np.float32)
    X[:, RANK_FEATURES.index("modality")] = rng.integers(0, 3, 4000)
    X[:, RANK_FEATURES.index("domain")] = rng.integers(0, 4, 4000)
    # completed (label 2) when the CF score is high, launched only (1) otherwise
    cf = X[:, RANK_FEATURES.index("cf_score")]
    y = np.where(rng.random(4000) < 1 / (1 + np.exp(-3 * cf)), 2.0, 1.0)
    ranker = PathRanker(RankerConfig(objective="binary", rounds=50)).fit(X, y, np.full(40, 100))
    probe = np.zeros((2, len(RANK_FEATURES)), dtype=np.float32)
    probe[:, RANK_FEATURES.index("cf_score")] = [-2.0, 2.0]
    low, high = ranker.predict(probe)
    assert 0.0 <= low < 0.1 and 0.9 < high <= 1.0


def _catalog() -> CatalogArrays:
    """Three items teaching skill 0; item 2 requires item 1."""
    gains = np.array([[0.2, 0.0], [0.2, 0.0], [0.2, 0.1]])
    return CatalogArrays(
        item_ids=np.array(["a", "b", "c"]),
        titles=["a", "b", "c"],
        skill_ids=["s0", "s1"],
        gains=gains,
        primary=np.zeros(3, dtype=np.int64),
        level=np.array([0.4, 0.4, 0.5]),
        duration_min=np.array([20.0, 20.0, 30.0]),
        modality=np.zeros(3, dtype=np.int64),
        languages=[("en",)] * 3,
        scope=np.full(3, -1),
        partner=np.zeros(3, dtype=np.int64),
        partner_names=["p"],
        domain=np.zeros(3, dtype=np.int64),
        domain_names=["d"],
        prerequisites=[np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.array([1])],
        capacity=np.full(3, np.inf),
        activity_ids=[None] * 3,
    )


def test_features_mark_earlier_attempts_and_unlocked_follow_ups() -> None:
    cat = _catalog()
    done = np.array([False, True, False])
    view = LearnerView(
        proficiency=np.array([0.3, 0.5]),
        sd=np.full(2, 0.1),
        weighted_gaps=np.array([0.4, 0.2]),
        priority=np.array([1.0, 2.0]),
        targets=np.array([0.7, 0.6]),
        skill_ready=np.ones(2),
        completed=done,
        cf=np.zeros(3),
        popularity_group=np.zeros(3),
        language_rank=np.zeros(3),
        engaged=np.array([1.5, 0.0, 0.0]),
    )
    X = rank_features(np.array([0, 2]), view, cat, np.zeros(3), 0.1, 0.2)
    col = {f: X[:, k] for k, f in enumerate(RANK_FEATURES)}
    assert col["prior_engagement"].tolist() == [1.5, 0.0]
    assert col["follow_up"].tolist() == [0.0, 1.0]  # item 2's prerequisite (1) is done
    assert col["priority_max"].tolist() == [1.0, 2.0]  # item 2 also teaches the priority skill
    assert np.allclose(col["target_max"], [0.7, 0.7])


def test_cf_features_are_relative_to_the_learners_own_candidates() -> None:
    cat = _catalog()
    view = LearnerView(
        proficiency=np.array([0.3, 0.5]),
        sd=np.full(2, 0.1),
        weighted_gaps=np.array([0.4, 0.2]),
        priority=np.ones(2),
        targets=np.array([0.7, 0.6]),
        skill_ready=np.ones(2),
        completed=np.zeros(3, dtype=bool),
        cf=np.array([0.2, 0.9, 0.5]),
        popularity_group=np.zeros(3),
        language_rank=np.zeros(3),
        engaged=np.zeros(3),
    )
    X = rank_features(np.array([0, 2]), view, cat, np.zeros(3), 0.1, 0.2)
    col = {f: X[:, k] for k, f in enumerate(RANK_FEATURES)}
    # item 1 (the best CF score overall) is not a candidate: ranks and gaps use candidates only
    assert col["cf_rank"].tolist() == [1.0, 0.0]
    assert np.allclose(col["cf_gap_to_best"], [-0.3, 0.0])


def _random_catalog(rng: np.random.Generator, n: int, k: int) -> CatalogArrays:
    """Sparse positive gains (some items teach nothing), prerequisites on earlier items."""
    gains = np.where(rng.random((n, k)) < 0.25, rng.uniform(0.05, 1.0, (n, k)), 0.0)
    prereqs = [
        np.sort(rng.choice(i, size=min(i, int(rng.integers(0, 3))), replace=False)).astype(np.int64)
        for i in range(n)
    ]
    return CatalogArrays(
        item_ids=np.array([f"i{i}" for i in range(n)]),
        titles=[f"i{i}" for i in range(n)],
        skill_ids=[f"s{j}" for j in range(k)],
        gains=gains,
        primary=np.where(gains.any(axis=1), gains.argmax(axis=1), 0),
        level=rng.uniform(0, 1, n),
        duration_min=rng.uniform(5, 120, n),
        modality=rng.integers(0, 3, n),
        languages=[("en",)] * n,
        scope=rng.integers(-1, 2, n),
        partner=np.zeros(n, dtype=np.int64),
        partner_names=["p"],
        domain=rng.integers(0, 3, n),
        domain_names=["a", "b", "c"],
        prerequisites=prereqs,
        capacity=np.full(n, np.inf),
        activity_ids=[None] * n,
    )


def test_features_equal_their_dense_definition_bit_for_bit() -> None:
    """The hot path computes the gap and prerequisite features over each candidate's teaching
    pairs; they must equal the definition over the dense (item, skill) grid exactly."""
    rng = np.random.default_rng(7)
    for trial in range(60):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 8))
        cat = _random_catalog(rng, n, k)
        view = LearnerView(
            proficiency=rng.uniform(0, 1, k),
            sd=rng.uniform(0, 0.3, k),
            weighted_gaps=np.where(rng.random(k) < 0.6, rng.uniform(0, 1, k), 0.0),
            priority=rng.uniform(0.5, 2, k),
            targets=rng.uniform(0, 1, k),
            skill_ready=np.where(rng.random(k) < 0.5, 1.0, rng.uniform(0, 1, k)),
            completed=rng.random(n) < 0.3 if trial % 3 else np.zeros(n, dtype=bool),
            cf=rng.normal(size=n),
            popularity_group=rng.random(n),
            language_rank=np.zeros(n),
            engaged=np.zeros(n),
        )
        items = np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False))
        X = rank_features(items, view, cat, rng.random(n), 0.1, 0.2)
        assert X.shape == (len(items), len(RANK_FEATURES))
        # the definition, over the dense grid
        g = cat.gains[items]
        fit = np.exp(-(((cat.level[items][:, None] - view.proficiency[None, :] - 0.1) / 0.2) ** 2))
        ready = view.weighted_gaps * np.where(view.skill_ready >= 1.0, 1.0, 0.3)
        n_pre = np.array([len(cat.prerequisites[i]) for i in items], dtype=float)
        done = np.array([view.completed[cat.prerequisites[i]].sum() for i in items], dtype=float)
        expected = {
            "gap_coverage": g @ view.weighted_gaps,
            "gap_coverage_fit": (g * fit) @ view.weighted_gaps,
            "ready_gap_coverage_fit": (g * fit) @ ready,
            "prerequisite_items_ready": np.where(n_pre > 0, done / np.maximum(n_pre, 1), 1.0),
            "follow_up": (n_pre > 0) & (done >= n_pre),
            "priority_max": np.where(g > 0, view.priority[None, :], 0.0).max(axis=1, initial=0),
            "target_max": np.where(g > 0, view.targets[None, :], 0.0).max(axis=1, initial=0),
        }
        for name, values in expected.items():
            got = X[:, RANK_FEATURES.index(name)]
            np.testing.assert_array_equal(got, np.asarray(values, dtype=np.float32), err_msg=name)


def _launches(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Launched examples whose completion falls with level above proficiency and duration."""
    X = np.zeros((n, len(RANK_FEATURES)), dtype=np.float32)
    lmp = rng.uniform(-0.3, 0.6, n)
    dur = rng.uniform(5, 180, n)
    X[:, RANK_FEATURES.index("level_minus_proficiency")] = lmp
    X[:, RANK_FEATURES.index("duration_min")] = dur
    X[:, RANK_FEATURES.index("modality")] = rng.integers(0, 3, n)
    z = 1.3 - 4.0 * np.maximum(0.0, lmp - 0.15) - 0.5 * dur / 60.0
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), 2.0, 1.0)
    return X, y


def test_completion_chance_learns_that_hard_and_long_items_are_dropped() -> None:
    rng = np.random.default_rng(1)
    X, y = _launches(20_000, rng)
    never_launched = np.zeros((5000, len(RANK_FEATURES)), dtype=np.float32)  # label 0: ignored
    model = CompletionChance().fit(
        np.vstack([X, never_launched]), np.concatenate([y, np.zeros(5000)])
    )
    probe = np.zeros((4, len(RANK_FEATURES)), dtype=np.float32)
    probe[:, RANK_FEATURES.index("level_minus_proficiency")] = [0.0, 0.5, 0.0, 0.0]
    probe[:, RANK_FEATURES.index("duration_min")] = [20.0, 20.0, 180.0, 20.0]
    easy, hard, long, _ = model.predict(probe)
    truth = 1 / (
        1 + np.exp(-(1.3 - 4.0 * np.array([0.0, 0.35, 0.0]) - 0.5 * np.array([1, 1, 9]) / 3))
    )
    np.testing.assert_allclose([easy, hard, long], truth, atol=0.04)
    again = CompletionChance.from_dict(model.to_dict())
    np.testing.assert_array_equal(again.predict(probe), model.predict(probe))


def test_completion_chance_without_contrast_predicts_the_observed_rate() -> None:
    X = np.zeros((10, len(RANK_FEATURES)), dtype=np.float32)
    model = CompletionChance().fit(X, np.array([2.0] * 3 + [0.0] * 7))  # every launch completed
    assert model.predict(X[:1])[0] > 0.99
    with pytest.raises(NotFittedError):
        CompletionChance().predict(X)
    with pytest.raises(ModelLoadError, match="terms"):
        CompletionChance.from_dict({**model.to_dict(), "coef": {"duration_hours": 1.0}})
