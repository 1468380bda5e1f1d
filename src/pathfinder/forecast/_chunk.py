"""The unit of work of both engines: every learner x skill x horizon row of a chunk of learners."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from pathfinder.forecast._kernel import ForecastKernel
from pathfinder.forecast._path import decay, forecast_paths
from pathfinder.gaps import weighted_gaps
from pathfinder.skills import SkillState, SkillStateModel

__all__ = ["COLUMNS", "KEY", "SCHEMA", "chunk_bounds", "forecast_chunk"]

#: Output columns of ``learner_skill`` (DESIGN §5 gaps now and at a horizon) and their types.
SCHEMA = pa.schema(
    [
        ("learner_id", pa.string()),
        ("team", pa.string()),
        ("region", pa.string()),
        ("role", pa.string()),
        ("skill_id", pa.string()),
        ("domain", pa.string()),
        ("horizon_days", pa.int32()),
        ("proficiency_now", pa.float64()),
        ("uncertainty_now", pa.float64()),
        ("target", pa.float64()),
        ("priority_now", pa.float64()),
        ("gap_now", pa.float64()),
        ("weighted_gap_now", pa.float64()),
        ("proficiency_no_learning", pa.float64()),
        ("uncertainty_no_learning", pa.float64()),
        ("proficiency_with_path", pa.float64()),
        ("priority_at_horizon", pa.float64()),
        ("gap_no_learning", pa.float64()),
        ("gap_with_path", pa.float64()),
        ("weighted_gap_no_learning", pa.float64()),
        ("weighted_gap_with_path", pa.float64()),
        ("path_steps", pa.int32()),
        ("path_minutes", pa.float64()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
KEY = ("learner_id", "skill_id", "horizon_days")


def chunk_bounds(n_learners: int, chunk_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` learner rows of each chunk."""
    return [(a, min(a + chunk_size, n_learners)) for a in range(0, n_learners, chunk_size)]


def _skill_model(kernel: ForecastKernel, start: int, stop: int) -> SkillStateModel:
    """The skill state model restricted to the chunk's learners."""
    a = kernel.arrays
    state = SkillState.from_arrays(
        {k[len("state_") :]: np.asarray(v[start:stop]) for k, v in a.items() if k[:6] == "state_"},
        kernel.scalars["prior_sd"] ** 2,
    )
    model = SkillStateModel()
    model.state_ = state
    model.params_ = kernel.params
    model.booster_ = kernel.gbm
    model.targets_ = np.asarray(a["role_targets"])[np.asarray(a["role"][start:stop])]
    return model


def forecast_chunk(kernel: ForecastKernel, start: int, stop: int) -> pd.DataFrame:
    """Rows of learners ``start..stop-1``: every skill at every horizon (:data:`SCHEMA`).

    Deterministic: the same kernel and bounds give bit-identical values in any process.
    """
    a, s = kernel.arrays, kernel.scalars
    n, n_skills = stop - start, kernel.n_skills
    role = np.asarray(a["role"][start:stop])
    region = np.asarray(a["region"][start:stop])
    model = _skill_model(kernel, start, stop)
    targets = model.targets_
    p0, sd0 = model.predict(np.arange(n), float(s["as_of"]), targets)
    priority = np.asarray(a["priority"])[:, region, role]  # (n_horizons + 1, n, S)
    gap0, wg0 = weighted_gaps(targets, p0, priority[0])
    floor = s["floor_ratio"] * model.state_.prior
    indptr = np.asarray(a["completed_indptr"][start : stop + 1])
    done = np.zeros((n, len(a["level"])), dtype=bool)
    items = np.asarray(a["completed_indices"][indptr[0] : indptr[-1]])
    done[np.repeat(np.arange(n), np.diff(indptr)), items] = True
    path = forecast_paths(kernel, p0, wg0, floor, region, np.asarray(a["combo"][start:stop]), done)
    parts = []
    ids = np.asarray(a["learner_id"][start:stop]).astype(str)
    names = kernel.names
    skill_ids = np.array(names["skill_ids"], dtype=object)
    domains = np.array(names["domains"], dtype=object)
    base = {
        "learner_id": np.repeat(ids.astype(object), n_skills),
        "team": np.repeat(
            np.array(names["teams"], dtype=object)[np.asarray(a["team"][start:stop])], n_skills
        ),
        "region": np.repeat(np.array([*names["regions"], ""], dtype=object)[region], n_skills),
        "role": np.repeat(np.array([*names["roles"], ""], dtype=object)[role], n_skills),
        "skill_id": np.tile(skill_ids, n),
        "domain": np.tile(domains, n),
    }
    for h, horizon in enumerate(kernel.horizons.tolist()):
        p_nl = decay(p0, floor, np.full((n, 1), float(horizon)), float(s["half_life"]))
        sd_h = np.sqrt(np.minimum(sd0**2 + s["drift_per_day"] * horizon, 0.25))
        # gains are non-negative: the max only removes float rounding of repeated decay
        p_path = np.maximum(path.proficiency[h], p_nl)
        gap_nl, wg_nl = weighted_gaps(targets, p_nl, priority[h + 1])
        gap_p, wg_p = weighted_gaps(targets, p_path, priority[h + 1])
        cols = {
            **base,
            "horizon_days": np.full(n * n_skills, horizon, dtype=np.int32),
            "proficiency_now": p0.ravel(),
            "uncertainty_now": sd0.ravel(),
            "target": targets.ravel(),
            "priority_now": priority[0].ravel(),
            "gap_now": gap0.ravel(),
            "weighted_gap_now": wg0.ravel(),
            "proficiency_no_learning": p_nl.ravel(),
            "uncertainty_no_learning": sd_h.ravel(),
            "proficiency_with_path": p_path.ravel(),
            "priority_at_horizon": priority[h + 1].ravel(),
            "gap_no_learning": gap_nl.ravel(),
            "gap_with_path": gap_p.ravel(),
            "weighted_gap_no_learning": wg_nl.ravel(),
            "weighted_gap_with_path": wg_p.ravel(),
            "path_steps": np.repeat(path.steps[h], n_skills).astype(np.int32),
            "path_minutes": np.repeat(path.minutes[h], n_skills),
        }
        parts.append(pd.DataFrame(cols, columns=list(COLUMNS)))
    frame = pd.concat(parts, ignore_index=True)
    for col in ("learner_id", "team", "region", "role", "skill_id", "domain"):
        frame[col] = frame[col].astype(object)
    return frame
