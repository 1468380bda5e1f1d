"""Aggregates against a hand-computed case: three learners, one skill, one horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathfinder.forecast import DIMENSIONS, finish, partial_sums


def rows() -> pd.DataFrame:
    # learner a: target 0.8, now 0.5 -> gap .3; no learning .4 -> .4; with path .7 -> .1
    # learner b: target 0.8, now 0.9 -> gap 0;  no learning .85 -> 0; with path .9 -> 0
    # learner c: no target (0) -> every gap 0, never "below target"
    # learner d (other team): target 0.6, now .2 -> .4; no learning .1 -> .5; path .3 -> .3
    frame = pd.DataFrame(
        {
            "learner_id": ["a", "b", "c", "d"],
            "team": ["t1", "t1", "t1", "t2"],
            "region": ["r", "r", "r", "r"],
            "role": ["x", "x", "y", "x"],
            "skill_id": ["s"] * 4,
            "horizon_days": [90] * 4,
            "target": [0.8, 0.8, 0.0, 0.6],
            "proficiency_now": [0.5, 0.9, 0.3, 0.2],
            "proficiency_no_learning": [0.4, 0.85, 0.25, 0.1],
            "proficiency_with_path": [0.7, 0.9, 0.35, 0.3],
            "priority_now": [1.0, 1.0, 1.0, 2.0],
        }
    )
    for x in ("now", "no_learning", "with_path"):
        frame[f"gap_{x}"] = np.maximum(0, frame["target"] - frame[f"proficiency_{x}"])
        frame[f"weighted_gap_{x}"] = frame[f"gap_{x}"] * frame["priority_now"]
    return frame


def test_team_aggregate_by_hand() -> None:
    team = finish(partial_sums(rows())["team"], DIMENSIONS["team"]).set_index("team")
    t1 = team.loc["t1"]
    assert t1["learners"] == 3 and t1["targeted"] == 2
    assert t1["mean_gap_now"] == pytest.approx(0.3 / 3)
    assert t1["mean_gap_no_learning"] == pytest.approx(0.4 / 3)
    assert t1["mean_gap_with_path"] == pytest.approx(0.1 / 3)
    assert t1["share_below_target_now"] == pytest.approx(1 / 2)
    assert t1["share_below_target_with_path"] == pytest.approx(1 / 2)
    assert t1["expected_closure"] == pytest.approx((0.4 - 0.1) / 3)
    assert t1["closure_share"] == pytest.approx(0.3 / 0.4)
    assert t1["mean_proficiency_now"] == pytest.approx((0.5 + 0.9 + 0.3) / 3)
    t2 = team.loc["t2"]
    assert t2["mean_weighted_gap_no_learning"] == pytest.approx(1.0)
    assert t2["closure_share"] == pytest.approx(0.2 / 0.5)


def test_skill_and_role_aggregates_by_hand() -> None:
    sums = partial_sums(rows())
    skill = finish(sums["skill"], DIMENSIONS["skill"]).iloc[0]
    assert skill["learners"] == 4 and skill["targeted"] == 3
    assert skill["mean_gap_no_learning"] == pytest.approx((0.4 + 0.5) / 4)
    assert skill["share_below_target_no_learning"] == pytest.approx(2 / 3)
    assert skill["expected_closure"] == pytest.approx(((0.4 - 0.1) + (0.5 - 0.3)) / 4)
    role = finish(sums["role"], DIMENSIONS["role"]).set_index("role")
    assert role.loc["y", "targeted"] == 0
    assert np.isnan(role.loc["y", "share_below_target_now"])
    assert np.isnan(role.loc["y", "closure_share"])
    assert role.loc["x", "share_below_target_now"] == pytest.approx(2 / 3)


def test_partial_sums_of_chunks_add_up() -> None:
    """Aggregating two chunks' partial sums equals aggregating all rows at once."""
    frame = rows()
    parts = [partial_sums(frame.iloc[:2])["team"], partial_sums(frame.iloc[2:])["team"]]
    split = finish(pd.concat(parts, ignore_index=True), DIMENSIONS["team"])
    whole = finish(partial_sums(frame)["team"], DIMENSIONS["team"])
    pd.testing.assert_frame_equal(split, whole)
