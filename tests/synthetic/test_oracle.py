"""The choice oracle re-creates the world's own choice process (analysis: bench_frontier.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError
from pathfinder.evaluation import GroundTruth
from pathfinder.synthetic import ChoiceOracle
from pathfinder.synthetic.framework_gen import START

WEEK, WINDOW = 16, 8


def _oracle(world: World, week: int = WEEK) -> ChoiceOracle:
    assert world.root is not None
    truth = GroundTruth.load(
        world.root, week, world.learners[C.LEARNER_ID].tolist(), world.framework.skill_ids
    )
    return ChoiceOracle(world, week, WINDOW, truth.proficiency, truth.dynamics, reps=200)


@pytest.fixture(scope="module")
def oracle(tiny_world: World) -> ChoiceOracle:
    return _oracle(tiny_world)


def _window_completions(world: World) -> pd.DataFrame:
    t0 = pd.Timestamp(START, tz="UTC") + pd.Timedelta(weeks=WEEK)
    ev = world.events
    return ev[
        (ev[C.VERB] == "completed")
        & (ev[C.TIMESTAMP] >= t0)
        & (ev[C.TIMESTAMP] < t0 + pd.Timedelta(weeks=WINDOW))
    ]


def test_forecast_matches_what_learners_did(oracle: ChoiceOracle, tiny_world: World) -> None:
    """Calibrated in volume, and the items actually completed carry most of the chance."""
    done = _window_completions(tiny_world).groupby(C.LEARNER_ID)[C.ITEM_ID].agg(set)
    learners = tiny_world.learners[C.LEARNER_ID].tolist()
    chances = np.stack([oracle.completion_chances(lid) for lid in learners])
    assert chances.min() >= 0 and chances.max() <= 1
    expected = chances.sum(axis=1).mean()
    observed = np.mean([len(done.get(lid, ())) for lid in learners])
    assert abs(expected - observed) / observed < 0.15, (expected, observed)
    pos = {x: k for k, x in enumerate(oracle.item_ids)}
    hit, miss = [], []
    for k, lid in enumerate(learners):
        mask = np.zeros(len(pos), dtype=bool)
        mask[[pos[x] for x in done.get(lid, ())]] = True
        hit.extend(chances[k, mask])
        miss.extend(chances[k, ~mask])
    assert np.mean(hit) > 5 * np.mean(miss), (np.mean(hit), np.mean(miss))


def test_same_seed_same_forecast(oracle: ChoiceOracle, tiny_world: World) -> None:
    lid = tiny_world.learners[C.LEARNER_ID].iloc[7]
    again = _oracle(tiny_world)
    np.testing.assert_array_equal(oracle.completion_chances(lid), again.completion_chances(lid))


def test_refuses_a_world_it_cannot_rebuild(tiny_world: World) -> None:
    older = dataclasses.replace(
        tiny_world, manifest={**tiny_world.manifest, "generator_version": "0.1.0"}
    )
    with pytest.raises(DataValidationError, match="cannot be rebuilt"):
        _oracle(older)
    with pytest.raises(DataValidationError, match="no snapshot at week"):
        _oracle(tiny_world, week=999)
