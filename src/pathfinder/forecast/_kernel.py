"""Everything one forecast chunk needs, as plain arrays: built once, shared by both engines.

The kernel is the unit a Spark executor loads (from a directory of ``.npy`` files, memory-mapped,
plus JSON and the LightGBM text model), so the local and the Spark engine run the same chunk
function on bit-identical inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.errors import ModelLoadError
from pathfinder.history import from_days
from pathfinder.recommender import Recommender
from pathfinder.skills import FilterParams

__all__ = ["ForecastKernel"]

KERNEL_FORMAT = 1


@dataclass(frozen=True, eq=False)
class ForecastKernel:
    """Model, framework, catalogue and learner state arrays for the batch forecast.

    Learner arrays are indexed by forecast row ``0..n_learners-1`` (the order of the data's
    learners table). ``-1`` for a role or region means unknown; the last row of ``role_targets``
    and the last region/role index of ``priority`` serve it.

    Attributes
    ----------
    scalars : dict
        ``as_of`` (days since the epoch), ``weekly_minutes``, ``max_steps``, filter constants
        (``half_life``, ``floor_ratio``, ``drift_per_day``, ``completion_gain``, ``zpd_offset``,
        ``zpd_width``, ``prior_sd``), candidate level-fit (``cand_zpd_offset``,
        ``cand_zpd_width``), ``mastery``, ``variety_decay``, versions.
    names : dict of list of str
        ``skill_ids``, ``teams``, ``regions``, ``roles`` (code -> name).
    horizons : ndarray of int, shape (n_horizons,)
    arrays : dict of ndarray
        Model-wide: ``bias``, ``noise_var``, ``role_targets`` (n_roles + 1, S), ``priority``
        (n_horizons + 1, n_regions + 1, n_roles + 1, S; index 0 is ``as_of``), ``gains`` (I, S),
        ``level``, ``duration``, ``modality``, ``scope``, ``primary`` (I,), ``item_prereq``
        (I, max prerequisites; -1 pads), ``skill_prereq`` (S, max; -1 pads), ``modality_need``
        (3,), ``combo_items`` (n_language_combos, I) bool. Per learner: ``learner_id``,
        ``team``, ``region``, ``role``, ``combo`` (N,), ``state_<field>`` (N, S),
        ``completed_indptr`` (N + 1,), ``completed_indices``.
    booster : str or None
        LightGBM text model of the skill-state correction.
    """

    scalars: dict[str, Any]
    names: dict[str, list[str]]
    horizons: np.ndarray
    arrays: dict[str, np.ndarray]
    booster: str | None = None

    @property
    def n_learners(self) -> int:
        return len(self.arrays["learner_id"])

    @property
    def n_skills(self) -> int:
        return len(self.names["skill_ids"])

    @cached_property
    def params(self) -> FilterParams:
        s = self.scalars
        return FilterParams(
            s["half_life"],
            s["floor_ratio"],
            s["drift_per_day"],
            s["completion_gain"],
            s["zpd_offset"],
            s["zpd_width"],
            np.asarray(self.arrays["bias"]),
            np.asarray(self.arrays["noise_var"]),
        )

    @cached_property
    def gbm(self) -> lgb.Booster | None:
        return None if self.booster is None else lgb.Booster(model_str=self.booster)

    @cached_property
    def teaching(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item, skill, gain) of every non-zero gain, ordered by item."""
        gains = self.arrays["gains"]
        items, skills = np.nonzero(gains)
        return items, skills, gains[items, skills]

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        rec: Recommender,
        world: World,
        as_of: float,
        horizons: tuple[int, ...],
        weekly_minutes: float | None,
        max_steps: int,
    ) -> ForecastKernel:
        """Gather the kernel of ``rec`` for the learners of ``world`` at day ``as_of``.

        Learners the model does not know are added as cold starts of their role and region
        (their state is the role's prior); erased learners are left out (right to erasure).
        Mutates ``rec`` only by those additions.
        """
        eng = rec.engine_
        fw, cat, sk = eng.framework, eng.catalog, eng.skills
        index, erased = rec.registry_.index, rec.registry_.erased
        people = world.learners[
            [index.get(str(lid), -1) not in erased for lid in world.learners[C.LEARNER_ID]]
        ]
        for lid, role, region, lang in zip(
            people[C.LEARNER_ID], people[C.ROLE], people[C.REGION], people[C.LANGUAGE], strict=True
        ):
            if lid not in rec.registry_.index:
                rec.add_learner(str(lid), str(role), str(region), str(lang))
        rows = np.array([rec.registry_.index[x] for x in people[C.LEARNER_ID]], dtype=np.int64)
        reg = rec.registry_
        role = np.array([reg.role[r] for r in rows.tolist()], dtype=np.int64)
        region = np.array([reg.region[r] for r in rows.tolist()], dtype=np.int64)
        combos: dict[tuple[str, ...], int] = {}
        combo = np.array(
            [
                combos.setdefault(eng.languages(reg.language[r], reg.region[r]), len(combos))
                for r in rows.tolist()
            ],
            dtype=np.int64,
        )
        combo_items = np.zeros((max(len(combos), 1), cat.n_items), dtype=bool)
        for langs, k in combos.items():
            combo_items[k] = [any(lg in offered for lg in langs) for offered in cat.languages]
        completed = [sorted(reg.completed[r]) for r in rows.tolist()]
        indptr = np.r_[0, np.cumsum([len(c) for c in completed])].astype(np.int64)
        indices = np.array([i for c in completed for i in c], dtype=np.int64)
        teams = pd.Categorical(people[C.TEAM].astype(str))
        n_regions, n_roles = len(fw.regions), len(fw.roles)
        priority = np.ones((len(horizons) + 1, n_regions + 1, n_roles + 1, len(fw.skills)))
        for h, days_ahead in enumerate((0, *horizons)):
            day = from_days(as_of + days_ahead).date()
            for g in range(n_regions + 1):
                for r in range(n_roles + 1):
                    priority[h, g, r] = fw.priority_vector(
                        fw.region_ids[g] if g < n_regions else "",
                        fw.role_ids[r] if r < n_roles else "",
                        day,
                    )
        state = sk.state_.arrays()
        mods = {str(k): float(v) for k, v in fw.policy.modality_progression.items()}
        arrays: dict[str, np.ndarray] = {
            "bias": sk.params_.bias,
            "noise_var": sk.params_.noise_var,
            "role_targets": np.vstack([eng.role_targets, np.zeros(len(fw.skills))]),
            "priority": priority,
            "gains": cat.gains,
            "level": cat.level,
            "duration": cat.duration_min,
            "modality": cat.modality,
            "scope": cat.scope,
            "primary": cat.primary,
            "item_prereq": cat.prerequisite_padded,
            "skill_prereq": eng.skill_prereq_matrix,
            "modality_need": np.array([mods.get(m, 0.0) for m in C.MODALITIES]),
            "combo_items": combo_items,
            "learner_id": people[C.LEARNER_ID].to_numpy(dtype=str),
            "team": np.asarray(teams.codes, dtype=np.int64),
            "region": region,
            "role": role,
            "combo": combo,
            "completed_indptr": indptr,
            "completed_indices": indices,
            **{f"state_{f}": v[rows] for f, v in state.items()},
        }
        cc = eng.config
        scalars = {
            "format": KERNEL_FORMAT,
            "as_of": float(as_of),
            "weekly_minutes": float(weekly_minutes or fw.policy.weekly_minutes),
            "max_steps": int(max_steps),
            "half_life": float(sk.params_.half_life),
            "floor_ratio": float(sk.params_.floor_ratio),
            "drift_per_day": float(sk.params_.drift_per_day),
            "completion_gain": float(sk.params_.completion_gain),
            "zpd_offset": float(sk.params_.zpd_offset),
            "zpd_width": float(sk.params_.zpd_width),
            "prior_sd": float(sk.config.prior_sd),
            "cand_zpd_offset": float(cc.zpd_offset),
            "cand_zpd_width": float(cc.zpd_width),
            "mastery": float(fw.policy.mastery),
            "variety_decay": float(rec.config.sequencer.variety_decay),
            "model_version": rec.model_version,
            "framework_version": fw.version,
        }
        names = {
            "skill_ids": list(fw.skill_ids),
            "teams": [str(t) for t in teams.categories],
            "regions": list(fw.region_ids),
            "roles": list(fw.role_ids),
            "domains": [s.domain for s in fw.skills],
        }
        booster = None if sk.booster_ is None else str(sk.booster_.model_to_string())
        return cls(scalars, names, np.array(sorted(horizons), dtype=np.int64), arrays, booster)

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> Path:
        """Write the kernel as ``kernel.json``, ``booster.txt`` and one ``.npy`` per array."""
        path.mkdir(parents=True, exist_ok=True)
        for name, arr in self.arrays.items():
            np.save(path / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        if self.booster is not None:
            (path / "booster.txt").write_text(self.booster, encoding="utf-8")
        meta = {
            "scalars": self.scalars,
            "names": self.names,
            "horizons": self.horizons.tolist(),
            "arrays": sorted(self.arrays),
            "booster": self.booster is not None,
        }
        (path / "kernel.json").write_text(json.dumps(meta), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> ForecastKernel:
        """Read a kernel written by :meth:`save`; per-learner arrays are memory-mapped."""
        try:
            meta = json.loads((path / "kernel.json").read_text(encoding="utf-8"))
            if meta["scalars"].get("format") != KERNEL_FORMAT:
                raise ModelLoadError(f"{path}: forecast kernel of another format")
            arrays = {
                name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                for name in meta["arrays"]
            }
            booster = (path / "booster.txt").read_text("utf-8") if meta["booster"] else None
        except (OSError, KeyError, ValueError) as err:
            raise ModelLoadError(f"{path}: forecast kernel cannot be read: {err}") from err
        return cls(
            meta["scalars"],
            meta["names"],
            np.array(meta["horizons"], dtype=np.int64),
            arrays,
            booster,
        )
