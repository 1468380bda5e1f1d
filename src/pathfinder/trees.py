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

import hashlib
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np

__all__ = ["compiled", "predict"]

#: Compiled models kept by the digest of their text, so reloading a bundle (or a second copy of
#: the same model) does not compile again.
KEEP_BY_TEXT = 8

_compiled: weakref.WeakKeyDictionary[lgb.Booster, lleaves.Model] = weakref.WeakKeyDictionary()
_by_text: OrderedDict[str, lleaves.Model] = OrderedDict()
_lock = threading.Lock()


def _compile(text: str) -> lleaves.Model:
    with tempfile.TemporaryDirectory(prefix="pathfinder-trees-") as tmp:
        path = Path(tmp) / "model.txt"
        path.write_text(text, encoding="utf-8")
        model = lleaves.Model(model_file=str(path))
        model.compile()
    return model


def _of_text(text: str) -> lleaves.Model:
    key = hashlib.sha256(text.encode()).hexdigest()
    model = _by_text.get(key)
    if model is None:
        model = _compile(text)
        _by_text[key] = model
        while len(_by_text) > KEEP_BY_TEXT:
            _by_text.popitem(last=False)
    else:
        _by_text.move_to_end(key)
    return model


def compiled(booster: lgb.Booster) -> lleaves.Model:
    """The compiled form of ``booster``: compiled at the first call (~1 s for a 100-tree model),
    then shared (also with boosters of the same text). Call it when a model is loaded so that no
    request pays for it."""
    model = _compiled.get(booster)
    if model is None:
        with _lock:
            model = _compiled.get(booster)
            if model is None:
                model = _of_text(str(booster.model_to_string()))
                _compiled[booster] = model
    return model


def predict(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    """``booster.predict(X)`` (transformed output: probabilities for a binary objective),
    computed by the compiled trees on one thread (callers parallelise above it, as with
    LightGBM's ``num_threads=1`` before); float64, shape ``(len(X),)``."""
    if not len(X):
        return np.zeros(0)
    return np.asarray(compiled(booster).predict(X, n_jobs=1), dtype=float)
