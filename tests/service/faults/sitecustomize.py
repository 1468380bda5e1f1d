"""Faults injected into a real server process by tests: this folder goes on its PYTHONPATH.

Python imports ``sitecustomize`` at start-up, before BentoML imports ``serving/service.py``, so
the patches below reach the server's own code without any test hook in the product.

- ``PATHFINDER_TEST_LOAD_DELAY_S``: the model load waits this long first (readiness before load).
- ``PATHFINDER_TEST_FAILING_LEARNER``: the model raises for this learner id (fallback over HTTP).
"""

from __future__ import annotations

import os
import time
from typing import Any

_DELAY = float(os.environ.get("PATHFINDER_TEST_LOAD_DELAY_S", "0") or 0)
_FAILING = os.environ.get("PATHFINDER_TEST_FAILING_LEARNER")

if _DELAY > 0:
    import pathfinder.service._loader as _loader

    _build = _loader.build_core

    def _slow_build(*args: Any, **kwargs: Any) -> Any:
        time.sleep(_DELAY)
        return _build(*args, **kwargs)

    _loader.build_core = _slow_build

if _FAILING:
    from pathfinder.recommender import Recommender

    _recommend = Recommender.recommend

    def _failing_recommend(self: Recommender, request: Any) -> Any:
        if request.learner_id == _FAILING:
            raise RuntimeError("injected model failure")
        return _recommend(self, request)

    Recommender.recommend = _failing_recommend  # type: ignore[method-assign]
