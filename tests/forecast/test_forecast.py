"""The local engine on the tiny world: coverage, idempotent reruns, model behaviour."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pathfinder.data import World
from pathfinder.forecast import (
    COLUMNS,
    KEY,
    ForecastConfig,
    ForecastKernel,
    ForecastResult,
    forecast_chunk,
    run_forecast,
)
from pathfinder.recommender import Recommender
from tests.forecast.conftest import HORIZONS


def read_rows(out: Path) -> pd.DataFrame:
    rows = pd.read_parquet(out / "learner_skill")
    rows["horizon_days"] = rows["horizon_days"].astype("int32")
    for col in ("learner_id", "team", "region", "role", "skill_id", "domain"):
        rows[col] = rows[col].astype(object)
    return rows[list(COLUMNS)].sort_values(list(KEY), kind="stable").reset_index(drop=True)


def test_one_row_per_learner_skill_horizon(
    local_forecast: ForecastResult, tiny_world: World
) -> None:
    rows = read_rows(local_forecast.out)
    n = len(tiny_world.learners) * len(tiny_world.framework.skills) * len(HORIZONS)
    assert len(rows) == n == local_forecast.rows
    assert not rows.duplicated(list(KEY)).any()
    assert set(rows["learner_id"]) == set(tiny_world.learners["learner_id"])
    assert sorted(rows["horizon_days"].unique()) == list(HORIZONS)
    assert sorted(p.name for p in (local_forecast.out / "learner_skill").iterdir()) == [
        "horizon_days=180",
        "horizon_days=30",
        "horizon_days=90",
    ]
    assert not rows[list(COLUMNS)].isna().any().any()
    manifest = json.loads((local_forecast.out / "MANIFEST.json").read_text())
    assert manifest["rows"]["learner_skill"] == n and manifest["horizons_days"] == list(HORIZONS)
    assert manifest["framework_version"] == tiny_world.framework.version


def test_rerun_replaces_the_output_byte_for_byte(
    local_forecast: ForecastResult, tiny_model: Path, tiny_world: World, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    config = ForecastConfig(horizons=HORIZONS, chunk_size=64)
    for _ in range(2):
        run_forecast(Recommender.load(tiny_model), tiny_world, config, out)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    first = sorted(p.relative_to(local_forecast.out) for p in local_forecast.out.rglob("*"))
    assert files == [p for p in first if (local_forecast.out / p).is_file()]
    for rel in files:
        assert (out / rel).read_bytes() == (local_forecast.out / rel).read_bytes(), rel
    assert len(read_rows(out)) == local_forecast.rows  # no duplicates after two runs
    assert not list(tmp_path.glob(".again.*"))  # no staging left behind


def test_chunking_does_not_change_a_value(
    local_forecast: ForecastResult, tiny_model: Path, tiny_world: World
) -> None:
    rec = Recommender.load(tiny_model)
    kernel = ForecastKernel.build(rec, tiny_world, rec.clock_, HORIZONS, None, 40)
    whole = forecast_chunk(kernel, 0, kernel.n_learners)
    whole = whole.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(whole, read_rows(local_forecast.out), check_exact=True)


def test_gaps_behave(local_forecast: ForecastResult, tiny_model: Path, tiny_world: World) -> None:
    rows = read_rows(local_forecast.out)
    # following the path never leaves a larger gap than not learning, and it does close gaps
    assert (rows["gap_with_path"] <= rows["gap_no_learning"]).all()
    assert (rows["proficiency_with_path"] >= rows["proficiency_no_learning"]).all()
    assert rows["gap_with_path"].mean() < 0.8 * rows["gap_no_learning"].mean()
    wide = rows.pivot_table(
        index=["learner_id", "skill_id"], columns="horizon_days", values="proficiency_no_learning"
    )
    rec = Recommender.load(tiny_model)
    kernel = ForecastKernel.build(rec, tiny_world, rec.clock_, HORIZONS, None, 40)
    floor = kernel.scalars["floor_ratio"] * np.asarray(kernel.arrays["state_prior"])
    floor_of = pd.Series(
        floor.ravel(),
        index=pd.MultiIndex.from_product(
            [kernel.arrays["learner_id"].astype(str), kernel.names["skill_ids"]]
        ),
    ).reindex(wide.index)
    now = (
        rows[rows["horizon_days"] == 30]
        .set_index(["learner_id", "skill_id"])["proficiency_now"]
        .reindex(wide.index)
    )
    above = (now >= floor_of).to_numpy()
    assert above.mean() > 0.9
    p = np.column_stack([now.to_numpy(), wide[list(HORIZONS)].to_numpy()])
    # forgetting: without practice proficiency decays towards the floor, monotonically
    assert (np.diff(p[above], axis=1) <= 1e-15).all()
    assert (np.diff(p[above], axis=1) < 0).any()
    assert (np.diff(p[~above], axis=1) >= -1e-15).all()
    assert (wide[180] >= floor_of - 1e-12)[above].all()
    # uncertainty grows without evidence
    sd = rows.pivot_table(
        index=["learner_id", "skill_id"], columns="horizon_days", values="uncertainty_no_learning"
    )
    assert (np.diff(sd[list(HORIZONS)].to_numpy(), axis=1) >= 0).all()
    # the path: more steps with a longer horizon, within the weekly time budget
    per = rows.drop_duplicates(["learner_id", "horizon_days"]).pivot(
        index="learner_id", columns="horizon_days", values="path_minutes"
    )
    assert (np.diff(per[list(HORIZONS)].to_numpy(), axis=1) >= 0).all()
    budget = np.array(HORIZONS) * tiny_world.framework.policy.weekly_minutes / 7
    assert (per[list(HORIZONS)].to_numpy() <= budget + 1e-9).all()
    assert (per[30] > 0).mean() > 0.9


def test_targets_and_priorities_at_the_horizon(
    local_forecast: ForecastResult, tiny_world: World
) -> None:
    rows = read_rows(local_forecast.out)
    fw = tiny_world.framework
    as_of = dt.datetime.fromisoformat(local_forecast.manifest["as_of"].replace("Z", "+00:00"))
    first = rows.iloc[0]
    learner = rows[(rows["learner_id"] == first["learner_id"])]
    for h in HORIZONS:
        at = learner[learner["horizon_days"] == h].set_index("skill_id").loc[fw.skill_ids]
        day = (as_of + dt.timedelta(days=h)).date()
        expected = fw.priority_vector(first["region"], first["role"], day)
        np.testing.assert_array_equal(at["priority_at_horizon"].to_numpy(), expected)
        np.testing.assert_array_equal(at["target"].to_numpy(), fw.target_vector(first["role"]))
        np.testing.assert_allclose(
            at["weighted_gap_no_learning"], at["gap_no_learning"] * at["priority_at_horizon"]
        )
        np.testing.assert_allclose(
            at["gap_no_learning"],
            np.maximum(0, at["target"] - at["proficiency_no_learning"]),
        )
    # some priority of the tiny framework changes between now and the last horizon
    changes = rows[rows["priority_now"] != rows["priority_at_horizon"]]
    dated = [p for p in fw.priorities if p.start or p.end]
    assert dated
    assert changes.empty == all(
        p.applies(r, ro, as_of.date()) == p.applies(r, ro, (as_of + dt.timedelta(days=180)).date())
        for p in dated
        for r in fw.region_ids
        for ro in fw.role_ids
    )


def test_current_estimate_is_the_recommenders(
    local_forecast: ForecastResult, tiny_model: Path
) -> None:
    """Proficiency now, uncertainty and weighted gaps are those `recommend` reports."""
    from pathfinder.schemas import RecommendRequest

    rows = read_rows(local_forecast.out)
    rec = Recommender.load(tiny_model)
    lid = str(rows["learner_id"].iloc[100])
    resp = rec.recommend(RecommendRequest(learner_id=lid))
    mine = rows[(rows["learner_id"] == lid) & (rows["horizon_days"] == 30)].set_index("skill_id")
    assert resp.top_gaps
    for g in resp.top_gaps:
        assert mine.loc[g.skill, "proficiency_now"] == pytest.approx(g.current, abs=1e-4)
        assert mine.loc[g.skill, "uncertainty_now"] == pytest.approx(g.uncertainty, abs=1e-4)
        assert mine.loc[g.skill, "weighted_gap_now"] == pytest.approx(g.weighted_gap, abs=1e-4)
