"""Metrics, the ground-truth path simulator, the temporal split and leakage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pathfinder.catalog import CatalogArrays
from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.evaluation import (
    EvaluationConfig,
    GroundTruth,
    PathSimulator,
    average_precision_at_k,
    evaluate,
    ndcg_at_k,
    recall_at_k,
)
from pathfinder.evaluation._policies import baseline_policies
from pathfinder.history import days
from pathfinder.recommender import Policy, Recommender, RecommenderConfig
from pathfinder.recommender._training import build_engine, ranker_examples, world_arrays


def test_ranking_metrics_known_answers() -> None:
    assert ndcg_at_k([1, 2, 3], {1}, 10) == 1.0
    assert ndcg_at_k([2, 1], {1}, 10) == pytest.approx(1 / np.log2(3))
    assert ndcg_at_k([5, 6], {1}, 10) == 0.0
    assert recall_at_k([1, 2, 3], {1, 4}, 2) == 0.5
    assert average_precision_at_k([1, 9, 2], {1, 2}, 10) == pytest.approx((1 + 2 / 3) / 2)


@pytest.fixture(scope="module")
def simulator(tiny_world: World) -> tuple[PathSimulator, GroundTruth, CatalogArrays]:
    assert tiny_world.root is not None
    fw = tiny_world.framework
    truth = GroundTruth.load(
        tiny_world.root, 10, tiny_world.learners[C.LEARNER_ID].tolist(), fw.skill_ids
    )
    catalog = CatalogArrays.from_frame(tiny_world.catalog, fw)
    return PathSimulator(truth, catalog, fw), truth, catalog


def test_empty_path_only_forgets(
    simulator: tuple[PathSimulator, GroundTruth, CatalogArrays],
) -> None:
    sim, truth, _ = simulator
    targets = np.full(truth.proficiency.shape[1], 0.9)
    curve = sim.follow(0, [], 6, targets, np.ones_like(targets), set(), seed=0)
    assert len(curve) == 7
    assert np.all(np.diff(curve) >= -1e-12)  # the gap only grows without learning


def test_a_suitable_item_closes_more_gap_than_an_unsuitable_one(
    simulator: tuple[PathSimulator, GroundTruth, CatalogArrays],
) -> None:
    sim, truth, catalog = simulator
    row = 0
    p = truth.proficiency[row]
    micro = np.flatnonzero(
        (catalog.modality == 0)
        & (catalog.duration_min <= 30)
        & np.array([len(x) == 0 for x in catalog.prerequisites])
    )
    fit = catalog.level[micro] - p[catalog.primary[micro]]
    good = micro[np.argmin(np.abs(fit - 0.1))]
    bad = micro[np.argmax(np.abs(fit - 0.1))]
    targets = np.ones(catalog.n_skills)
    closed = {}
    for name, item in (("good", good), ("bad", bad)):
        runs = [
            sim.follow(row, [(item, 0)], 1, targets, np.ones_like(targets), set(), seed=s)
            for s in range(40)
        ]
        closed[name] = np.mean([r[0] - r[-1] for r in runs])
    assert closed["good"] > closed["bad"]


def test_evaluate_on_tiny_reports_every_policy(tiny_world: World) -> None:
    weeks: list[int | None] = []

    def extra(rec: Recommender, week: int | None) -> dict[str, Policy]:
        weeks.append(week)
        return {"als_copy": baseline_policies(0)["als_only"]}

    res = evaluate(
        tiny_world, RecommenderConfig(), EvaluationConfig(max_learners=60), extra_policies=extra
    )
    assert set(res.ranking) == {"model", "random", "popularity", "als_only", "gap_rule", "als_copy"}
    # an extra policy is measured like the others: the same paths give the same numbers
    assert res.ranking["als_copy"] == res.ranking["als_only"]
    assert res.learning_gain["als_copy"] == res.learning_gain["als_only"]
    assert weeks == [res.split["snapshot_week"]] and isinstance(weeks[0], int)
    assert set(res.learning_gain) == {*res.ranking, "none"}
    for m in res.ranking.values():
        assert 0 <= m["ndcg@10"] <= 1 and 0 < m["coverage"] <= 1
    assert res.learning_gain["model"] > res.learning_gain["none"]
    assert res.learning_gain["gap_rule"] > res.learning_gain["random"]
    assert set(res.skill_state) == {"model", "filter", "last_score_decayed"}
    assert res.skill_state["model"]["n"] > 0
    assert len(res.gain_curves["model"]) == res.split["horizon_weeks"] + 1
    md = res.to_markdown()
    assert "| model |" in md and "| gap_rule |" in md and "MAE" in md
    assert res.metrics()["model.ndcg_at_10"] == res.ranking["model"]["ndcg@10"]


def test_learned_skill_state_beats_the_last_score_baseline(small_world: World) -> None:
    res = evaluate(
        small_world, RecommenderConfig(), EvaluationConfig(max_learners=50, simulate=False)
    )
    s = res.skill_state
    assert s["model"]["mae"] < s["last_score_decayed"]["mae"]
    assert s["model"]["rmse"] < s["last_score_decayed"]["rmse"]


def test_shifting_events_after_t_changes_no_training_feature(tiny_world: World) -> None:
    """Leakage: features and labels at fit time T use nothing after T."""
    fw = tiny_world.framework
    catalog, people, events, asm = world_arrays(tiny_world)
    t = float(days(pd.Series([tiny_world.events[C.TIMESTAMP].quantile(0.8)]))[0])
    shifted = dataclasses.replace(events, t=np.where(events.t >= t, events.t + 365, events.t))
    shifted_asm = dataclasses.replace(asm, t=np.where(asm.t >= t, asm.t + 365, asm.t))
    assert (shifted.t != events.t).any()
    cfg = RecommenderConfig()
    a = ranker_examples(fw, catalog, people, events, asm, t, cfg)
    b = ranker_examples(fw, catalog, people, shifted, shifted_asm, t, cfg)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    ea, _ = build_engine(fw, catalog, people, events, asm, t, cfg)
    eb, _ = build_engine(fw, catalog, people, shifted, shifted_asm, t, cfg)
    np.testing.assert_array_equal(ea.skills.state_.mu, eb.skills.state_.mu)
    np.testing.assert_array_equal(ea.cf.user_factors_, eb.cf.user_factors_)
    np.testing.assert_array_equal(ea.popularity, eb.popularity)
