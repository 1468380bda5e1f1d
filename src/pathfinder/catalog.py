"""Dense per-item arrays of the catalogue, built once and shared by every model component."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from pathfinder.data import Framework
from pathfinder.data import columns as C

__all__ = ["CatalogArrays", "padded"]


def padded(lists: list[np.ndarray]) -> np.ndarray:
    """Ragged integer lists as a (len, max length) matrix padded with -1 (at least 1 column)."""
    width = max([len(x) for x in lists] + [1])
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for k, x in enumerate(lists):
        out[k, : len(x)] = x
    return out


@dataclass(frozen=True, eq=False)
class CatalogArrays:
    """The catalogue as arrays indexed by item position ``0..n_items-1``.

    Attributes
    ----------
    item_ids : ndarray of str, shape (n_items,)
    titles : list of str
    skill_ids : list of str
        Framework skill order; columns of ``gains``.
    gains : ndarray of float, shape (n_items, n_skills)
        Nominal proficiency gain per taught skill (0 where the item does not teach it).
    primary : ndarray of int, shape (n_items,)
        Skill with the largest nominal gain.
    level : ndarray of float, shape (n_items,)
        Difficulty in [0, 1].
    duration_min : ndarray of float, shape (n_items,)
    modality : ndarray of int, shape (n_items,)
        Index into :data:`pathfinder.data.columns.MODALITIES`.
    languages : list of tuple of str
    scope : ndarray of int, shape (n_items,)
        -1 for the global core, else the index of the region in ``framework.region_ids``.
    partner, domain : ndarray of int, shape (n_items,)
        Codes into ``partner_names`` / ``domain_names`` (domain of the primary skill).
    prerequisites : list of ndarray of int
        Item positions each item requires.
    capacity : ndarray of float, shape (n_items,)
        Seats per week; ``inf`` where unlimited.
    """

    item_ids: np.ndarray
    titles: list[str]
    skill_ids: list[str]
    gains: np.ndarray
    primary: np.ndarray
    level: np.ndarray
    duration_min: np.ndarray
    modality: np.ndarray
    languages: list[tuple[str, ...]]
    scope: np.ndarray
    partner: np.ndarray
    partner_names: list[str]
    domain: np.ndarray
    domain_names: list[str]
    prerequisites: list[np.ndarray]
    capacity: np.ndarray
    activity_ids: list[str | None]

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_skills(self) -> int:
        return len(self.skill_ids)

    @cached_property
    def teaching(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero (item, skill, nominal gain) triples of ``gains``, ordered by item."""
        items, skills = np.nonzero(self.gains)
        return items, skills, self.gains[items, skills]

    @cached_property
    def _teaching_indptr(self) -> np.ndarray:
        """Where each item's pairs start in :attr:`teaching` (CSR row pointer), (n_items + 1,)."""
        return np.searchsorted(self.teaching[0], np.arange(self.n_items + 1))

    def teaching_of(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (row in ``items``, skill, nominal gain) teaching pairs of ``items``, by row."""
        ptr, items = self._teaching_indptr, np.asarray(items)
        start = ptr[items]
        count = ptr[items + 1] - start
        rows = np.repeat(np.arange(len(items)), count)
        offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
        flat = np.repeat(start, count) + offset
        _, skills, gains = self.teaching
        return rows, skills[flat], gains[flat]

    @cached_property
    def prerequisite_padded(self) -> np.ndarray:
        """Prerequisite items per item, (n_items, max prerequisites), padded with -1."""
        return padded(self.prerequisites)

    @cached_property
    def skills_taught(self) -> list[tuple[str, ...]]:
        """Per item, the ids of the skills it teaches (gain > 0), in framework order."""
        return [tuple(self.skill_ids[s] for s in np.flatnonzero(row > 0)) for row in self.gains]

    @cached_property
    def prerequisite_count(self) -> np.ndarray:
        """Number of prerequisite items per item, shape (n_items,)."""
        return np.array([len(p) for p in self.prerequisites], dtype=float)

    def index_of(self) -> dict[str, int]:
        """Item id -> position."""
        return {str(item): k for k, item in enumerate(self.item_ids)}

    @classmethod
    def from_frame(cls, catalog: pd.DataFrame, framework: Framework) -> CatalogArrays:
        """Build from a validated catalogue table (see :func:`pathfinder.data.load_world`)."""
        skill_ids = framework.skill_ids
        s_index = {s: k for k, s in enumerate(skill_ids)}
        item_ids = catalog[C.ITEM_ID].to_numpy(dtype=str)
        i_index = {s: k for k, s in enumerate(item_ids)}
        gains = np.zeros((len(catalog), len(skill_ids)))
        for row, (skills, values) in enumerate(
            zip(catalog[C.SKILLS], catalog[C.GAINS], strict=True)
        ):
            for skill, gain in zip(skills, values, strict=True):
                gains[row, s_index[skill]] = gain
        domain_of = {s.id: s.domain for s in framework.skills}
        domain_names = sorted(set(domain_of.values()))
        primary = gains.argmax(axis=1)
        partners = pd.Categorical(catalog[C.PARTNER])
        regions = {r: k for k, r in enumerate(framework.region_ids)}
        capacity = (
            catalog[C.CAPACITY_PER_WEEK].to_numpy(dtype=float)
            if C.CAPACITY_PER_WEEK in catalog.columns
            else np.full(len(catalog), np.nan)
        )
        activity = (
            list(catalog[C.ACTIVITY_ID])
            if C.ACTIVITY_ID in catalog.columns
            else [None] * len(catalog)
        )
        return cls(
            item_ids=item_ids,
            titles=[str(t) for t in catalog[C.TITLE]],
            skill_ids=list(skill_ids),
            gains=gains,
            primary=primary,
            level=catalog[C.LEVEL].to_numpy(dtype=float),
            duration_min=catalog[C.DURATION_MIN].to_numpy(dtype=float),
            modality=catalog[C.MODALITY]
            .map({m: k for k, m in enumerate(C.MODALITIES)})
            .to_numpy(dtype=np.int64),
            languages=[tuple(x) for x in catalog[C.LANGUAGES]],
            scope=np.array([regions.get(s, -1) for s in catalog[C.SCOPE]], dtype=np.int64),
            partner=np.asarray(partners.codes, dtype=np.int64),
            partner_names=[str(p) for p in partners.categories],
            domain=np.array(
                [domain_names.index(domain_of[skill_ids[p]]) for p in primary], dtype=np.int64
            ),
            domain_names=domain_names,
            prerequisites=[
                np.array([i_index[p] for p in pre], dtype=np.int64)
                for pre in catalog[C.PREREQUISITES]
            ],
            capacity=np.where(np.isnan(capacity), np.inf, capacity),
            activity_ids=[None if a is None or a != a else str(a) for a in activity],
        )
