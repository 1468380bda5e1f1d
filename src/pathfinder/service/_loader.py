"""Build a worker's :class:`ProcessCore` from settings: load the model, open the store, warm up."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from pathfinder.errors import ModelLoadError
from pathfinder.recommender import Recommender
from pathfinder.service._settings import ServiceSettings
from pathfinder.service._worker import ModelProcess, ProcessCore
from pathfinder.store import open_store

__all__ = ["build_core", "bundle_dir", "load_recommender", "settle_heap"]

log = logging.getLogger(__name__)


def bundle_dir(model: str) -> Path:
    """The local bundle directory of a bundle directory, or of an MLflow model URI
    (``models:/pathfinder@champion``, downloaded) whose pyfunc carries the bundle as its
    ``bundle`` artefact."""
    if "://" not in model and ":/" not in model:
        return Path(model)
    import mlflow

    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model))
    except Exception as err:  # MLflow raises many types for a missing model or registry
        raise ModelLoadError(f"cannot download {model} from MLflow: {err}") from err
    return local / "artifacts" / "bundle"


def load_recommender(model: str) -> Recommender:
    """The recommender of a bundle directory or an MLflow model URI (see :func:`bundle_dir`)."""
    return Recommender.load(bundle_dir(model))


def build_core(settings: ServiceSettings) -> ProcessCore:
    """Load, open, warm up: the returned core is ready to serve.

    The model runs in a child process (:class:`~pathfinder.service._worker.ProcessCore`); the
    worker keeps a copy for the degraded fallback (both load at the same time). Either failing to
    load, or the two loading different versions, raises :class:`ModelLoadError` and leaves
    nothing running.
    """
    bundle = bundle_dir(settings.model)
    model = ModelProcess(bundle, settings.store_url, settings.store_namespace)  # loads meanwhile
    core: ProcessCore | None = None
    try:
        rec = Recommender.load(bundle)
        core = ProcessCore(
            rec,
            open_store(settings.store_url, namespace=settings.store_namespace),
            model,
            settings.deadline_ms / 1000.0,
        )
        core.catch_up()  # the worker's copy knows the store's learners (xAPI, fallback)
        model.wait_loaded(rec.model_version)
    except BaseException:
        model.close()
        if core is not None:
            core.store.close()
        raise
    settle_heap()
    log.info("serving model %s", rec.model_version)
    return core


def settle_heap() -> None:
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
