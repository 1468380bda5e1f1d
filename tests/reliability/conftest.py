"""Shared fixtures of the reliability tier: a fitted model and disposable deployments.

Every server of the tier runs with debug logging (``bentoml serve --verbose``); when a test that
used :func:`deploy` ends, every line its servers logged is searched for the learner ids the
model knows, the deployment's API keys and any e-mail address, and the test errors if one is
there in clear (issue #6, privacy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pathfinder.data import World
from pathfinder.recommender import Recommender
from pathfinder.testing import Deployment

ROOT = Path(__file__).resolve().parents[2]

Deploy = Callable[..., Deployment]


@pytest.fixture(scope="session")
def bundle(tiny_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served model: the default Recommender fitted on the tiny world."""
    return Recommender().fit(tiny_world).save(tmp_path_factory.mktemp("reliability") / "model")


@pytest.fixture
def deploy(tmp_path: Path, tiny_world: World, bundle: Path) -> Iterator[Deploy]:
    """Make deployments (``deploy("sqlite")``, ``deploy("postgresql")``); clean up after.

    At teardown: stop their servers, drop PostgreSQL schemas, and fail on any personal datum
    or key in their logs (extra ids a test sent are passed as ``deploy(..., ids=[...])``).
    """
    made: list[tuple[Deployment, list[str]]] = []

    def make(backend: str = "sqlite", ids: list[str] | None = None) -> Deployment:
        dep = Deployment.create(ROOT, tmp_path / f"dep{len(made)}", bundle, tiny_world, backend)
        made.append((dep, ids if ids is not None else []))
        return dep

    yield make
    for dep, _ in made:
        dep.stop_all()
        if dep.backend == "postgresql":
            dep.drop_store()
    leaks = [leak for dep, ids in made for leak in dep.leaks(ids)]
    assert not leaks, "personal data or keys in server logs:\n" + "\n".join(
        f"{leak.file}:{leak.line} {leak.kind}: {leak.text}" for leak in leaks[:20]
    )
