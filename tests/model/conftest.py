"""A recommender fitted once per session on the small world."""

from __future__ import annotations

import pytest

from pathfinder.data import World
from pathfinder.recommender import Recommender


@pytest.fixture(scope="session")
def fitted(small_world: World) -> Recommender:
    return Recommender().fit(small_world)
