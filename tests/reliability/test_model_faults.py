"""Model faults: a corrupt, truncated, incomplete or half-swapped bundle is reloaded under load.

The old model keeps serving, no request of the load fails, ``/readyz`` stays 200 throughout; a
complete swap to another valid model is taken, and putting the original back is taken too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reliability.conftest import Deploy

from pathfinder.data import World
from pathfinder.recommender import Recommender, RecommenderConfig
from pathfinder.testing._model_faults import FAULTS, model_faults

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.fixture(scope="module")
def other_bundle(tiny_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another valid model of the same world (another ranker, so another version and files)."""
    config = RecommenderConfig(gain_weight=0.2, training={"seed": 3, "decision_points": 3})
    model = Recommender(config).fit(tiny_world)
    return model.save(tmp_path_factory.mktemp("other") / "model")


def test_bad_bundles_keep_the_old_model_serving_and_ready(
    deploy: Deploy, other_bundle: Path
) -> None:
    dep = deploy("sqlite")
    result = model_faults(dep, other_bundle)
    rec = result.recorder
    statuses = {name: status for name, status, _ in result.reloads}
    assert statuses == {**{n: s for n, (_, s) in FAULTS.items()}, "restore": 200}, result.reloads
    versions = {name: detail for name, status, detail in result.reloads if status == 200}
    original, swapped = versions["restore"], versions["swapped"]
    assert original != swapped
    # every load request succeeded, readiness never dropped
    for route in ("read", "write", "readyz"):
        outcomes = rec.outcomes(route)
        assert set(outcomes) == {200}, (route, outcomes)
        assert outcomes[200] >= (10 if route == "readyz" else 50), (route, outcomes)
    assert rec.server_errors() == 0
    # only the two valid models ever answered; after the restore, only the original
    assert set(result.versions) == {original, swapped}, result.versions
    assert set(result.versions_after) == {original}, result.versions_after
    for name, status, detail in result.reloads:
        if status == 422:
            assert "old model keeps serving" in detail, (name, detail)
