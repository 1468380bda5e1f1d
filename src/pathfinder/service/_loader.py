"""Build a worker's :class:`ServiceCore` from settings: load the model, open the store, warm up."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from pathfinder.errors import ModelLoadError
from pathfinder.recommender import Recommender
from pathfinder.service._core import ServiceCore
from pathfinder.service._settings import ServiceSettings
from pathfinder.store import open_store

__all__ = ["build_core", "load_recommender"]

log = logging.getLogger(__name__)


def load_recommender(model: str) -> Recommender:
    """A bundle directory, or an MLflow model URI (``models:/pathfinder@champion``) whose pyfunc
    carries the bundle as its ``bundle`` artefact."""
    if "://" not in model and ":/" not in model:
        return Recommender.load(Path(model))
    import mlflow

    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model))
    except Exception as err:  # MLflow raises many types for a missing model or registry
        raise ModelLoadError(f"cannot download {model} from MLflow: {err}") from err
    return Recommender.load(local / "artifacts" / "bundle")


def build_core(settings: ServiceSettings) -> ServiceCore:
    """Load, open, warm up: the returned core is ready to serve."""
    rec = load_recommender(settings.model)
    core = ServiceCore(
        rec,
        open_store(settings.store_url, namespace=settings.store_namespace),
        settings.deadline_ms / 1000.0,
    )
    if rec.registry_.ids:
        core.warm_up(rec.registry_.ids[0])
    _settle_heap()
    log.info("serving model %s", rec.model_version)
    return core


def _settle_heap() -> None:
    """Keep the cyclic garbage collector from stalling requests (measured: 60-130 ms pauses).

    Two kinds of long-lived objects made every full collection slow: the loaded model (~10^5
    Python objects: registry dicts and sets), and each request's context, which BentoML's
    traffic-timeout middleware keeps alive for the whole timeout (an uncancelled ``call_later``
    holding a copy of the context with its tracing span). The model is frozen (never walked
    again; still freed by reference counting, and a replaced model's cycles are collected at the
    next load, which unfreezes first); the thresholds make the collections that walk the
    retained request objects rare (young cycles are still collected every 5,000 net
    allocations).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 1_000, 100)
