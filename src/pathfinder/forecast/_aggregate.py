"""Aggregates per team, region, role and skill: additive partial sums, then the final ratios.

Both engines compute the same partial sums (pandas per chunk, Spark ``groupBy``) and finish them
with :func:`finish`, so the aggregates of a chunked or distributed run are exact sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DIMENSIONS", "SUMS", "finish", "partial_sums", "sum_inputs"]

#: Aggregate tables and their group keys (each also by horizon).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "team": ("team", "skill_id"),
    "region": ("region", "skill_id"),
    "role": ("role", "skill_id"),
    "skill": ("skill_id",),
}
_STAGES = ("now", "no_learning", "with_path")
#: Additive columns summed per group.
SUMS = (
    "learners",
    "targeted",
    *(f"sum_gap_{x}" for x in _STAGES),
    *(f"sum_weighted_gap_{x}" for x in _STAGES),
    *(f"sum_proficiency_{x}" for x in _STAGES),
    *(f"below_{x}" for x in _STAGES),
)


def sum_inputs(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-row terms of :data:`SUMS` (1 per row, target set, gaps, below-target flags)."""
    out = pd.DataFrame(
        {
            "learners": np.ones(len(rows), dtype=np.int64),
            "targeted": (rows["target"].to_numpy() > 0).astype(np.int64),
        },
        index=rows.index,
    )
    for x in _STAGES:
        gap = rows[f"gap_{x}"].to_numpy()
        out[f"sum_gap_{x}"] = gap
        out[f"sum_weighted_gap_{x}"] = rows[f"weighted_gap_{x}"].to_numpy()
        out[f"sum_proficiency_{x}"] = rows[f"proficiency_{x}"].to_numpy()
        out[f"below_{x}"] = (gap > 0).astype(np.int64)
    return out


def partial_sums(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Sums of :data:`SUMS` per group of each dimension (keys as columns, horizon included)."""
    terms = sum_inputs(rows)
    out = {}
    for name, keys in DIMENSIONS.items():
        cols = [*keys, "horizon_days"]
        frame = pd.concat([rows[cols], terms], axis=1)
        out[name] = frame.groupby(cols, sort=True, as_index=False)[list(SUMS)].sum()
    return out


def finish(sums: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Means, shares and expected closure from summed partials (one row per group).

    ``mean_gap_*`` averages ``max(0, target − proficiency)`` over the group's learners;
    ``share_below_target_*`` is the share of learners with a target on the skill who are below
    it; ``expected_closure`` is the mean gap the recommended path closes by the horizon compared
    with no further learning, and ``closure_share`` that closure over the no-learning gap.
    """
    cols = [*keys, "horizon_days"]
    s = sums.groupby(cols, sort=True, as_index=False)[list(SUMS)].sum()
    n = s["learners"].to_numpy(dtype=float)
    targeted = s["targeted"].to_numpy(dtype=float)
    out = s[cols].copy()
    out["learners"] = s["learners"].astype(np.int64)
    out["targeted"] = s["targeted"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for x in _STAGES:
            out[f"mean_proficiency_{x}"] = s[f"sum_proficiency_{x}"].to_numpy() / n
            out[f"mean_gap_{x}"] = s[f"sum_gap_{x}"].to_numpy() / n
            out[f"mean_weighted_gap_{x}"] = s[f"sum_weighted_gap_{x}"].to_numpy() / n
            out[f"share_below_target_{x}"] = np.where(
                targeted > 0, s[f"below_{x}"].to_numpy() / np.maximum(targeted, 1), np.nan
            )
        closed = s["sum_gap_no_learning"].to_numpy() - s["sum_gap_with_path"].to_numpy()
        out["expected_closure"] = closed / n
        nl = s["sum_gap_no_learning"].to_numpy()
        out["closure_share"] = np.where(nl > 0, closed / np.where(nl > 0, nl, 1.0), np.nan)
    return out.reset_index(drop=True)
