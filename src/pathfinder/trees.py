"""Prediction of LightGBM models through their compiled form (lleaves).

LightGBM's own ``Booster.predict`` costs ~1.6 µs per row for a 100-tree model on one thread,
mostly per-row bookkeeping; the recommend hot path predicts ~150 candidates and ~60 skills per
request, which made LightGBM a quarter of a request's time. lleaves compiles the model's trees to
native code (LLVM) and predicts the same values (to 1e-12; not bit for bit, it sums the trees in
blocks) about ten times faster. The bundle keeps LightGBM's text model (the safe format); the
compiled form is derived from it in memory, once per booster, when a recommender is fitted or
loaded (else at its first prediction), and is never written to disk (a cached object file would be
code that a later load runs).

Compiling costs ~1 ms per leaf: a model with more than :data:`MAX_COMPILED_LEAVES` leaves, or one
that fails to compile (e.g. a host that forbids executable memory), predicts through LightGBM
itself, with a warning, rather than making a fit or a load fail.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np

__all__ = ["compiled", "predict"]

log = logging.getLogger(__name__)

#: Compiled models kept by the digest of their text, so reloading a bundle (or a second copy of
#: the same model) does not compile again.
KEEP_BY_TEXT = 8
#: Larger models are not compiled (~10 s at this size here); the defaults have ~1,500 leaves.
MAX_COMPILED_LEAVES = 10_000

_compiled: weakref.WeakKeyDictionary[lgb.Booster, lleaves.Model | None] = (
    weakref.WeakKeyDictionary()
)
_by_text: OrderedDict[str, lleaves.Model] = OrderedDict()
_lock = threading.Lock()
_LEAVES = re.compile(r"^num_leaves=(\d+)$", re.MULTILINE)


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


def _try_compile(booster: lgb.Booster) -> lleaves.Model | None:
    text = str(booster.model_to_string())
    leaves = sum(int(n) for n in _LEAVES.findall(text))
    if leaves > MAX_COMPILED_LEAVES:
        log.warning("tree model of %d leaves predicts through LightGBM (not compiled)", leaves)
        return None
    try:
        return _of_text(text)
    except Exception as err:  # llvmlite raises several types; LightGBM still predicts
        log.warning("tree model not compiled, predicts through LightGBM: %s", err)
        return None


def compiled(booster: lgb.Booster) -> lleaves.Model | None:
    """The compiled form of ``booster`` (None: it predicts through LightGBM): compiled at the
    first call (~1 s for a 100-tree model), then shared, also with boosters of the same text.
    Call it when a model is loaded so that no request pays for it."""
    if booster in _compiled:
        return _compiled[booster]
    with _lock:
        if booster not in _compiled:
            _compiled[booster] = _try_compile(booster)
        return _compiled[booster]


def predict(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    """``booster.predict(X)`` (transformed output: probabilities for a binary objective),
    computed by the compiled trees on one thread (callers parallelise above it, as with
    LightGBM's ``num_threads=1`` before); float64, shape ``(len(X),)``."""
    if not len(X):
        return np.zeros(0)
    model = compiled(booster)
    if model is None:
        return np.asarray(booster.predict(X, num_threads=1), dtype=float)
    return np.asarray(model.predict(X, n_jobs=1), dtype=float)
