"""The compiled tree models predict what LightGBM predicts."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from pathfinder import trees


def _data(rng: np.random.Generator, n: int) -> np.ndarray:
    X = rng.normal(size=(n, 5))
    X[:, 3] = rng.integers(0, 6, n)  # categorical
    X[rng.random((n, 5)) < 0.1] = np.nan  # missing values take each split's default side
    return X


@pytest.mark.parametrize("objective", ["binary", "regression", "lambdarank"])
def test_compiled_predictions_equal_lightgbm(objective: str) -> None:
    rng = np.random.default_rng(0)
    X = _data(rng, 3000)
    signal = np.nan_to_num(X[:, 0]) + np.isin(X[:, 3], [1, 4]) - 0.5 * np.nan_to_num(X[:, 2])
    y = (signal > 0.3).astype(float) if objective != "regression" else signal
    booster = lgb.train(
        {"objective": objective, "num_leaves": 15, "verbose": -1, "num_threads": 1},
        lgb.Dataset(
            X,
            y,
            group=[100] * 30 if objective == "lambdarank" else None,
            categorical_feature=[3],
        ),
        num_boost_round=40,
    )
    probe = _data(rng, 500)
    expected = booster.predict(probe, num_threads=1)
    got = trees.predict(booster, probe)
    assert got.shape == (500,) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.ptp(got) > 0.1  # a model that learned something, not a constant
    # float32 input (what the ranker passes) and an empty batch
    np.testing.assert_allclose(
        trees.predict(booster, probe.astype(np.float32)),
        booster.predict(probe.astype(np.float32), num_threads=1),
        rtol=0,
        atol=1e-12,
    )
    assert trees.predict(booster, probe[:0]).shape == (0,)


def test_a_model_is_compiled_once_and_a_constant_model_works() -> None:
    X = np.zeros((300, 2))
    booster = lgb.train(
        {"objective": "regression", "verbose": -1}, lgb.Dataset(X, np.full(300, 0.25)), 5
    )
    assert trees.compiled(booster) is trees.compiled(booster)
    # a reloaded copy of the same model (a bundle reload) shares the compiled form
    copy = lgb.Booster(model_str=booster.model_to_string())
    assert trees.compiled(copy) is trees.compiled(booster)
    np.testing.assert_allclose(trees.predict(booster, X[:3]), booster.predict(X[:3]), atol=1e-12)


def test_a_model_that_cannot_be_compiled_predicts_through_lightgbm(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(1)
    X = _data(rng, 600)
    y = np.nan_to_num(X[:, 0])

    def fitted() -> lgb.Booster:  # a new text each time (seeded), so no compiled copy is shared
        return lgb.train(
            {"objective": "regression", "verbose": -1, "seed": int(rng.integers(1 << 30))},
            lgb.Dataset(X, y, categorical_feature=[3]),
            num_boost_round=10,
        )

    def refuse(text: str) -> None:
        raise RuntimeError("executable memory refused")

    monkeypatch.setattr(trees, "_compile", refuse)
    failing = fitted()
    assert trees.compiled(failing) is None
    np.testing.assert_array_equal(trees.predict(failing, X), failing.predict(X, num_threads=1))
    monkeypatch.undo()
    monkeypatch.setattr(trees, "MAX_COMPILED_LEAVES", 5)
    large = fitted()
    assert trees.compiled(large) is None
    np.testing.assert_array_equal(trees.predict(large, X), large.predict(X, num_threads=1))
    assert "executable memory refused" in caplog.text and "leaves predicts through" in caplog.text
