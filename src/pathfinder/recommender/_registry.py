"""Learners known to the model and their online state (completions, engagement)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

__all__ = ["LearnerRegistry"]


@dataclass
class LearnerRegistry:
    """Rows of learners: attributes, completed items and engagement weights.

    Attributes are parallel lists indexed by row. ``role``/``region`` are indices into the
    framework's lists, -1 when unknown.
    """

    ids: list[str]
    role: list[int]
    region: list[int]
    language: list[str]
    completed: list[set[int]] = field(default_factory=list)
    engagement: list[dict[int, float]] = field(default_factory=list)
    erased: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.index = {learner: k for k, learner in enumerate(self.ids)}
        n = len(self.ids)
        if not self.completed:
            self.completed = [set() for _ in range(n)]
        if not self.engagement:
            self.engagement = [{} for _ in range(n)]

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, learner_id: str, role: int, region: int, language: str) -> int:
        row = len(self.ids)
        self.ids.append(learner_id)
        self.role.append(role)
        self.region.append(region)
        self.language.append(language)
        self.completed.append(set())
        self.engagement.append({})
        self.index[learner_id] = row
        return row

    def forget(self, row: int) -> None:
        self.completed[row] = set()
        self.engagement[row] = {}
        self.erased.add(row)

    # -- persistence
    def matrices(self, n_items: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """(completed 0/1, engagement weight) as CSR matrices of shape (n_learners, n_items)."""

        def csr(rows: list[dict[int, float]]) -> sparse.csr_matrix:
            r = np.repeat(np.arange(len(rows)), [len(x) for x in rows])
            c = np.fromiter((k for x in rows for k in sorted(x)), dtype=np.int64, count=len(r))
            v = np.fromiter((x[k] for x in rows for k in sorted(x)), dtype=float, count=len(r))
            return sparse.csr_matrix((v, (r, c)), shape=(len(rows), n_items))

        return (csr([dict.fromkeys(s, 1.0) for s in self.completed]), csr(self.engagement))

    @staticmethod
    def rows_of(matrix: sparse.csr_matrix) -> list[dict[int, float]]:
        matrix = matrix.tocsr()
        return [
            dict(zip(matrix.indices[a:b].tolist(), matrix.data[a:b].tolist(), strict=True))
            for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
        ]
