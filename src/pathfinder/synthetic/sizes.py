"""Named sizes of the synthetic world."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SIZES", "WorldSize"]


@dataclass(frozen=True)
class WorldSize:
    """How big a generated world is."""

    learners: int
    items: int
    skills: int
    roles: int
    regions: int
    weeks: int
    shortlist: int  # items a learner ever considers (taste-driven), bounds the weekly cost
    snapshot_every: int  # weeks between ground-truth proficiency snapshots


SIZES: dict[str, WorldSize] = {
    "tiny": WorldSize(300, 120, 12, 3, 2, 26, 60, 1),
    "small": WorldSize(2_000, 400, 24, 5, 3, 52, 100, 2),
    "medium": WorldSize(20_000, 2_000, 60, 8, 4, 52, 120, 4),
    "large": WorldSize(200_000, 5_000, 100, 12, 4, 52, 120, 13),
}
