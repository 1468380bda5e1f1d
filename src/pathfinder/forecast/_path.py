"""A vectorised approximation of the recommended path for many learners at once.

Per-learner ``Recommender.recommend`` costs milliseconds; the forecast needs every learner of an
organisation. This module plans and replays an approximate path for a whole chunk of learners with
array operations only (the loop runs over path steps, never over learners):

1. score every item for every learner by its expected closure of the learner's readiness-weighted
   gaps at a suitable level (the ``ready_gap_coverage_fit`` term that dominates the model's score);
2. keep eligible items (scope, language, not completed, closing a gap), take the ``max_steps``
   best and order them as the sequencer's greedy variety decay would;
3. replay them in time: each step takes its duration out of ``weekly_minutes`` per week, must fit
   before the longest horizon, needs its prerequisite items done and its gap skill above the
   modality threshold; proficiency forgets between steps and gains the skill model's expected
   completion gain (level fit × (1 − proficiency)) at each step.

See docs/forecast.md for what is left out (the ranker's engagement term, capacity, local share,
spaced reviews).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pathfinder.forecast._kernel import ForecastKernel
from pathfinder.ranking import UNREADY_WEIGHT, skill_readiness
from pathfinder.skills import expected_gain

__all__ = ["PathForecast", "forecast_paths"]


@dataclass(frozen=True)
class PathForecast:
    """Proficiency at each horizon when following the approximate path.

    Attributes
    ----------
    proficiency : ndarray, shape (n_horizons, n_learners, n_skills)
    steps : ndarray of int, shape (n_horizons, n_learners)
        Path steps completed by each horizon.
    minutes : ndarray, shape (n_horizons, n_learners)
        Learning minutes of those steps.
    """

    proficiency: np.ndarray
    steps: np.ndarray
    minutes: np.ndarray


def decay(p: np.ndarray, floor: np.ndarray, days: np.ndarray, half_life: float) -> np.ndarray:
    """Forgetting without practice: ``floor + (p − floor) · 2^(−days / half_life)``."""
    return floor + (p - floor) * np.exp2(-days / half_life)


def _item_matrix(kernel: ForecastKernel) -> sparse.csr_matrix:
    """(n_items, n_pairs) 0/1 matrix summing teaching-pair scores into item scores."""
    items, _, _ = kernel.teaching
    n_items = len(kernel.arrays["level"])
    return sparse.csr_matrix(
        (np.ones(len(items)), (items, np.arange(len(items)))), shape=(n_items, len(items))
    )


def _scores(kernel: ForecastKernel, p: np.ndarray, wg: np.ndarray) -> np.ndarray:
    """Expected closure of readiness-weighted gaps per (learner, item), shape (n, n_items)."""
    a, s = kernel.arrays, kernel.scalars
    ready = skill_readiness(p, a["skill_prereq"], s["mastery"])
    rwg = wg * np.where(ready >= 1.0, 1.0, UNREADY_WEIGHT)
    items, skills, gain = kernel.teaching
    fit = np.exp(
        -(((a["level"][items] - p[:, skills] - s["cand_zpd_offset"]) / s["cand_zpd_width"]) ** 2)
    )
    contrib = rwg[:, skills] * (gain * fit)
    return np.ascontiguousarray((_item_matrix(kernel) @ contrib.T).T)


def _candidates(
    kernel: ForecastKernel,
    p: np.ndarray,
    wg: np.ndarray,
    region: np.ndarray,
    combo: np.ndarray,
    done: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate items in path order, their gap skill and validity, each (n, k)."""
    a, s = kernel.arrays, kernel.scalars
    scores = _scores(kernel, p, wg)
    scope = np.asarray(a["scope"])
    eligible = (
        np.asarray(a["combo_items"])[combo]
        & ((scope[None, :] < 0) | (scope[None, :] == region[:, None]))
        & ~done
        & (scores > 0)
    )
    masked = np.where(eligible, scores, -np.inf)
    n_items = masked.shape[1]
    k = min(int(s["max_steps"]), n_items)
    if k < n_items:
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(n_items), masked.shape).copy()
    val = np.take_along_axis(masked, top, axis=1)
    order = np.lexsort((top, -val), axis=1)
    cand = np.take_along_axis(top, order, axis=1)
    val = np.take_along_axis(val, order, axis=1)
    valid = np.isfinite(val)
    # the gap each step closes most (the sequencer's gap skill), its primary skill if none
    per_skill = np.asarray(a["gains"])[cand] * wg[:, None, :]
    gap = per_skill.argmax(axis=2)
    best = np.take_along_axis(per_skill, gap[:, :, None], axis=2)[:, :, 0]
    gap = np.where(best > 0, gap, np.asarray(a["primary"])[cand])
    # greedy variety decay: the j-th step on the same gap counts decay**j; with scores sorted
    # within each gap, the greedy order is the order of the decayed scores
    same = (gap[:, :, None] == gap[:, None, :]) & valid[:, None, :]
    rank = (same & np.tri(k, k, -1, dtype=bool)[None]).sum(axis=2)
    eff = np.where(valid, val * float(s["variety_decay"]) ** rank, -np.inf)
    order = np.lexsort((cand, -eff), axis=1)
    return (
        np.take_along_axis(cand, order, axis=1),
        np.take_along_axis(gap, order, axis=1),
        np.take_along_axis(valid, order, axis=1),
    )


def forecast_paths(
    kernel: ForecastKernel,
    p0: np.ndarray,
    wg: np.ndarray,
    floor: np.ndarray,
    region: np.ndarray,
    combo: np.ndarray,
    done: np.ndarray,
) -> PathForecast:
    """Plan and replay the approximate path of every learner of a chunk.

    Parameters
    ----------
    kernel : ForecastKernel
    p0 : ndarray, shape (n, n_skills)
        Proficiency at ``as_of``.
    wg : ndarray, shape (n, n_skills)
        Priority-weighted gaps at ``as_of``.
    floor : ndarray, shape (n, n_skills)
        Forgetting floor of each cell.
    region, combo : ndarray of int, shape (n,)
        Region index and language-combination code of each learner.
    done : ndarray of bool, shape (n, n_items)
        Items completed before ``as_of``.
    """
    a, s = kernel.arrays, kernel.scalars
    horizons = kernel.horizons.astype(float)
    n = len(p0)
    half_life = float(s["half_life"])
    per_day = float(s["weekly_minutes"]) / 7.0
    cand, gap, valid = _candidates(kernel, p0, wg, region, combo, done)
    duration, level, modality = (np.asarray(a[x]) for x in ("duration", "level", "modality"))
    gains, prereq, need = np.asarray(a["gains"]), np.asarray(a["item_prereq"]), a["modality_need"]
    rows = np.arange(n)
    p = p0.copy()
    tau = np.zeros(n)  # days after as_of of the state in p
    done_pad = np.hstack([done, np.ones((n, 1), dtype=bool)])  # -1 pads read "done"
    snap_p = np.repeat(p0[None], len(horizons), axis=0)
    snap_t = np.zeros((len(horizons), n))
    steps = np.zeros((len(horizons), n), dtype=np.int64)
    minutes = np.zeros((len(horizons), n))
    for j in range(cand.shape[1]):
        item = cand[:, j]
        t_end = tau + duration[item] / per_day
        ok = (
            valid[:, j]
            & (t_end <= horizons[-1])
            & done_pad[rows[:, None], prereq[item]].all(axis=1)
            & (p[rows, gap[:, j]] >= need[modality[item]])
        )
        if not ok.any():
            if not valid[:, j:].any():
                break
            continue
        r, it = rows[ok], item[ok]
        pr = decay(p[r], floor[r], (t_end[r] - tau[r])[:, None], half_life)
        pr = np.clip(pr + expected_gain(pr, level[it][:, None], gains[it], kernel.params), 0, 1)
        p[r], tau[r] = pr, t_end[r]
        done_pad[r, it] = True
        for h, horizon in enumerate(horizons):
            by = t_end[r] <= horizon
            rh = r[by]
            snap_p[h, rh], snap_t[h, rh] = pr[by], t_end[rh]
            steps[h, rh] += 1
            minutes[h, rh] += duration[it[by]]
    prof = decay(snap_p, floor[None], (horizons[:, None] - snap_t)[:, :, None], half_life)
    return PathForecast(prof, steps, minutes)
