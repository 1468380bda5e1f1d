"""Prediction of LightGBM models through their compiled form (lleaves).

LightGBM's own ``Booster.predict`` costs ~1.6 µs per row for a 100-tree model on one thread,
mostly per-row bookkeeping; the recommend hot path predicts ~150 candidates and ~60 skills per
request, which made LightGBM a quarter of a request's time. lleaves compiles the model's trees to
native code (LLVM) and predicts the same values (to ~1e-16) about ten times faster. The bundle keeps
LightGBM's text model (the safe format); the compiled form is derived from it in memory, once per
booster, when a recommender is fitted or loaded (else at its first prediction), and is never
written to disk (a cached object file would be code that a later load runs).
"""

from __future__ import annotations

import tempfile
import threading
import weakref
from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np

__all__ = ["compiled", "predict"]

_compiled: weakref.WeakKeyDictionary[lgb.Booster, lleaves.Model] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _compile(booster: lgb.Booster) -> lleaves.Model:
    with tempfile.TemporaryDirectory(prefix="pathfinder-trees-") as tmp:
        path = Path(tmp) / "model.txt"
        path.write_text(str(booster.model_to_string()), encoding="utf-8")
        model = lleaves.Model(model_file=str(path))
        model.compile()
    return model


def compiled(booster: lgb.Booster) -> lleaves.Model:
    """The compiled form of ``booster``: compiled at the first call (~1 s for a 100-tree model),
    then shared. Call it when a model is loaded so that no request pays for it."""
    model = _compiled.get(booster)
    if model is None:
        with _lock:
            model = _compiled.get(booster)
            if model is None:
                model = _compile(booster)
                _compiled[booster] = model
    return model


def predict(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    """``booster.predict(X)`` (transformed output: probabilities for a binary objective),
    computed by the compiled trees on one thread (callers parallelise above it, as with
    LightGBM's ``num_threads=1`` before); float64, shape ``(len(X),)``."""
    if not len(X):
        return np.zeros(0)
    return np.asarray(compiled(booster).predict(X, n_jobs=1), dtype=float)
