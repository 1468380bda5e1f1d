"""Turn ranked candidates into a scheduled, rule-abiding learning path.

The sequencer is greedy: it repeatedly takes the candidate with the best variety-decayed score,
pulls in its unmet prerequisites, and schedules the resulting chain at the earliest weeks where
every rule holds (budget, capacity, modality progression, prerequisite order, local share). A
chain that cannot be placed is rolled back as a whole. Spaced reviews of completed items are
added in a reserved share of the step budget.
"""

from __future__ import annotations

import numpy as np

from pathfinder.catalog import CatalogArrays
from pathfinder.data.framework import Policy
from pathfinder.sequencing._plan import CapacityLeft, PathPlan
from pathfinder.sequencing._types import LearnerContext, PlannedStep, SequencerConfig

__all__ = ["PathSequencer"]


class PathSequencer:
    """Greedy, constraint-checked sequencer of a learner's path.

    Parameters
    ----------
    config : SequencerConfig or None
        Hyper-parameters; defaults when None.

    Notes
    -----
    Every call is independent and deterministic: ties are broken by item position and nothing
    depends on set iteration order. Catalogue gains are assumed non-negative.
    """

    def __init__(self, config: SequencerConfig | None = None) -> None:
        self.config = config

    def sequence(
        self,
        ctx: LearnerContext,
        candidates: np.ndarray,
        scores: np.ndarray,
        catalog: CatalogArrays,
        policy: Policy,
        capacity_left: CapacityLeft | None = None,
    ) -> list[PlannedStep]:
        """Plan a path for one learner.

        Parameters
        ----------
        ctx : LearnerContext
            The learner's state, budget and constraints.
        candidates : ndarray of int, shape (n_candidates,)
            Item positions proposed by a ranker. Duplicates keep their first occurrence; items
            with a non-finite score are ignored.
        scores : ndarray of float, shape (n_candidates,)
            Ranker scores of ``candidates`` (higher is better).
        catalog : CatalogArrays
            The catalogue.
        policy : Policy
            Path policy; ``modality_progression`` gates coaching and project steps.
        capacity_left : callable (item, week) -> float, optional
            Seats left for an item in a 0-based week; None means unlimited everywhere.

        Returns
        -------
        list of PlannedStep
            Ordered by (week, path order); prerequisites always come before their dependants.

        Raises
        ------
        ValueError
            If ``candidates`` and ``scores`` differ in length or an item position is out of range.
        """
        cfg = self.config if self.config is not None else SequencerConfig()
        cands = np.asarray(candidates, dtype=np.int64).ravel()
        values = np.asarray(scores, dtype=np.float64).ravel()
        if cands.shape != values.shape:
            raise ValueError(
                f"candidates and scores must have the same length, got {cands.size} candidates "
                f"and {values.size} scores; pass one score per candidate"
            )
        if cands.size and (cands.min() < 0 or cands.max() >= catalog.n_items):
            raise ValueError(
                f"candidate item positions must be in [0, {catalog.n_items}), got range "
                f"[{cands.min()}, {cands.max()}]; map item ids with CatalogArrays.index_of()"
            )
        if ctx.horizon_weeks <= 0 or ctx.max_steps <= 0 or not ctx.weekly_minutes > 0:
            return []
        return PathPlan(ctx, catalog, policy, cfg, capacity_left).plan(cands, values)
