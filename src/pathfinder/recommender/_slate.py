"""Slate construction: which candidates fill a path's positions, and in what order.

A path is judged twice: by how likely the learner is to take its first steps (a position-discounted
measure, as NDCG) and by how much every step closes gaps (all steps count). A weighted sum of the
two per item cannot serve both: position matters for the first and not for the second. The slate
is built greedily, position by position: each position takes the item of highest marginal value

``value(i, r) = p_i / max p × discount(r) + gain_weight × closure_i / max closure × decay^n_i``

where ``p_i`` is the item's chance of being taken, ``discount(r) = 1 / log2(r + 2)`` the weight of
position ``r`` (0-based), ``closure_i`` the expected gap closure, and ``n_i`` the number of items
already in the slate for the same gap skill (diminishing returns on one skill). Likely items thus
come first; the later positions, where the discount is small, go to what closes gaps.
"""

from __future__ import annotations

import numpy as np

__all__ = ["build_slate", "position_discount"]


def position_discount(n: int) -> np.ndarray:
    """Weight of positions 0..n-1 in a ranked list, ``1 / log2(r + 2)``, shape (n,)."""
    out: np.ndarray = 1.0 / np.log2(np.arange(n) + 2.0)
    return out


def _relative(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if len(x) else 0.0
    out: np.ndarray = x / top if top > 0 else np.zeros(len(x))
    return out


def build_slate(
    take: np.ndarray,
    closure: np.ndarray,
    gap_skill: np.ndarray,
    gain_weight: float,
    size: int,
    decay: float = 0.6,
) -> tuple[np.ndarray, np.ndarray]:
    """Order candidates by greedy marginal value (see the module docstring).

    Parameters
    ----------
    take : ndarray of float, shape (n,)
        Chance that the learner takes (completes) each candidate, in [0, 1].
    closure : ndarray of float, shape (n,)
        Expected gap closure of each candidate, >= 0 (any scale: divided by its maximum).
    gap_skill : ndarray of int, shape (n,)
        The skill whose gap each candidate closes most.
    gain_weight : float
        Value of the best-closing candidate relative to the likeliest one at the first position
        (both terms are relative to the learner's best candidate, so the weight does not depend
        on how many items the catalogue has).
    size : int
        Positions filled greedily; the remaining candidates follow by their value at the last
        position.
    decay : float
        Factor on a candidate's closure per slate item already chosen for the same gap skill.

    Returns
    -------
    order : ndarray of int, shape (n,)
        Candidate indices, slate first.
    value : ndarray of float, shape (n,)
        Marginal value of each candidate in ``order`` when it was placed; non-increasing.
    """
    n = len(take)
    take = _relative(take)
    gain = gain_weight * _relative(closure)
    factor = np.ones(n)
    free = np.ones(n, dtype=bool)
    discount = position_discount(max(size, 1))
    order: list[int] = []
    values: list[float] = []
    for r in range(min(size, n)):
        value = take * discount[r] + gain * factor
        value[~free] = -np.inf
        j = int(np.argmax(value))  # ties: lowest index
        order.append(j)
        values.append(float(value[j]))
        free[j] = False
        factor[gap_skill == gap_skill[j]] *= decay
    rest = np.flatnonzero(free)
    last = take[rest] * discount[-1] + gain[rest] * factor[rest]
    keep = np.lexsort((rest, -last))
    return (
        np.concatenate([np.array(order, dtype=np.int64), rest[keep]]),
        np.concatenate([np.array(values), last[keep]]),
    )
