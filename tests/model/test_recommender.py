"""Behaviour of a Recommender fitted on the small world (DESIGN §5, §7)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pathfinder.data import Priority, World
from pathfinder.data import columns as C
from pathfinder.errors import ConfigError, ModelLoadError, UnknownLearnerError
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest, RecommendResponse


def ask(rec: Recommender, learner: str, **kw: object) -> RecommendResponse:
    return rec.recommend(RecommendRequest(learner_id=learner, **kw))  # type: ignore[arg-type]


def learners(world: World, n: int = 40) -> list[str]:
    active = world.events[C.LEARNER_ID].value_counts()
    return sorted(active.index[:n])


def test_response_shape_and_contract(fitted: Recommender, small_world: World) -> None:
    lid = learners(small_world)[0]
    resp = ask(fitted, lid, max_steps=6, horizon_weeks=6)
    assert resp.learner_id == lid and not resp.degraded and not resp.cold_start
    assert resp.framework_version == small_world.framework.version
    assert 1 <= len(resp.steps) <= 6
    assert [s.position for s in resp.steps] == list(range(1, len(resp.steps) + 1))
    weeks = [s.week for s in resp.steps]
    assert weeks == sorted(weeks) and max(weeks) < 6
    assert resp.top_gaps and all(
        g.gap > 0 and g.weighted_gap >= g.gap * 0.99 for g in resp.top_gaps
    )
    assert [g.weighted_gap for g in resp.top_gaps] == sorted(
        (g.weighted_gap for g in resp.top_gaps), reverse=True
    )
    catalog = small_world.catalog.set_index(C.ITEM_ID)
    for s in resp.steps:
        assert s.language in catalog.loc[s.item_id, C.LANGUAGES]
        assert s.gap_skill in s.skills or s.review
        assert s.reason and np.isfinite(s.score)


def test_paths_respect_language_completion_and_scope(
    fitted: Recommender, small_world: World
) -> None:
    fw = small_world.framework
    catalog = small_world.catalog.set_index(C.ITEM_ID)
    people = small_world.learners.set_index(C.LEARNER_ID)
    done = small_world.events[small_world.events[C.VERB] == "completed"]
    done_by = done.groupby(C.LEARNER_ID)[C.ITEM_ID].agg(set)
    for lid in learners(small_world, 60):
        region = fw.region(people.loc[lid, C.REGION])
        allowed = [people.loc[lid, C.LANGUAGE], *region.languages]
        for s in ask(fitted, lid).steps:
            offered = catalog.loc[s.item_id, C.LANGUAGES]
            assert s.language == next(lg for lg in allowed if lg in offered)
            assert catalog.loc[s.item_id, C.SCOPE] in ("global", region.id)
            assert s.review or s.item_id not in done_by.get(lid, set())


def test_same_request_same_response(fitted: Recommender, small_world: World) -> None:
    lid = learners(small_world)[3]
    assert ask(fitted, lid) == ask(fitted, lid)


def test_completing_an_unrelated_item_does_not_change_the_first_step(
    small_world: World, tmp_path: Path, fitted: Recommender
) -> None:
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    lid = learners(small_world)[5]
    first = ask(rec, lid).steps[0]
    path_skills = {sk for s in ask(rec, lid).steps for sk in s.skills}
    catalog = small_world.catalog
    unrelated = catalog[catalog[C.SKILLS].map(lambda ss: not set(ss) & path_skills)]
    item = unrelated[C.ITEM_ID].iloc[0]
    ts = pd.Timestamp(rec._clock(None) * 86_400, unit="s", tz="UTC")
    rec.observe_events(
        pd.DataFrame(
            {
                C.EVENT_ID: ["00000000-0000-4000-8000-000000000001"],
                C.LEARNER_ID: [lid],
                C.ITEM_ID: [item],
                C.VERB: ["completed"],
                C.TIMESTAMP: [ts],
                C.DURATION_S: [600.0],
                C.SCORE: [np.nan],
                C.RATING: [np.nan],
            }
        )
    )
    after = ask(rec, lid)
    assert item not in [s.item_id for s in after.steps]
    assert after.steps[0].item_id == first.item_id


def test_completed_step_disappears_after_the_event(
    small_world: World, tmp_path: Path, fitted: Recommender
) -> None:
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    lid = learners(small_world)[7]
    first = ask(rec, lid).steps[0].item_id
    ts = pd.Timestamp(rec._clock(None) * 86_400, unit="s", tz="UTC")
    rec.observe_events(
        pd.DataFrame(
            {
                C.EVENT_ID: ["00000000-0000-4000-8000-000000000002"],
                C.LEARNER_ID: [lid],
                C.ITEM_ID: [first],
                C.VERB: ["completed"],
                C.TIMESTAMP: [ts],
                C.DURATION_S: [600.0],
                C.SCORE: [np.nan],
                C.RATING: [np.nan],
            }
        )
    )
    assert first not in [s.item_id for s in ask(rec, lid).steps if not s.review]


def test_assessment_at_target_removes_the_skill_from_top_gaps(
    small_world: World, tmp_path: Path, fitted: Recommender
) -> None:
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    lid = learners(small_world)[2]
    top = ask(rec, lid).top_gaps[0]
    ts = pd.Timestamp(rec._clock(None) * 86_400, unit="s", tz="UTC")
    rows = pd.DataFrame(
        {
            C.LEARNER_ID: [lid] * 3,
            C.SKILL_ID: [top.skill] * 3,
            C.SCORE: [min(1.0, top.target + 0.05)] * 3,
            C.ASSESSED_AT: [ts] * 3,
            C.METHOD: ["test"] * 3,
        }
    )
    rec.observe_assessments(rows)
    assert top.skill not in [g.skill for g in ask(rec, lid).top_gaps]


def test_a_new_priority_moves_its_items_up(
    small_world: World, tmp_path: Path, fitted: Recommender
) -> None:
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    people = small_world.learners.set_index(C.LEARNER_ID)
    moved = 0
    ids = learners(small_world, 30)
    for lid in ids:
        resp = ask(rec, lid, max_steps=10)
        # the role's targeted skill with the smallest gap: not in focus before the priority
        gaps = {g.skill: g for g in resp.top_gaps}
        role = small_world.framework.role(people.loc[lid, C.ROLE])
        candidates = [s for s in role.targets if s not in gaps]
        if not candidates:
            continue
        skill = candidates[0]
        before = sum(skill in s.skills for s in resp.steps)
        rec.update_priorities(
            [*small_world.framework.priorities, Priority(skill=skill, weight=4.0)]
        )
        after_resp = ask(rec, lid, max_steps=10)
        after = sum(skill in s.skills for s in after_resp.steps)
        rec.update_priorities(list(small_world.framework.priorities))
        moved += after > before
    assert moved >= 0.6 * len(ids)


def test_goal_skills_replace_role_targets(fitted: Recommender, small_world: World) -> None:
    lid = learners(small_world)[1]
    goal = small_world.framework.skill_ids[-1]
    resp = ask(fitted, lid, goal_skills=[goal])
    assert [g.skill for g in resp.top_gaps] in ([goal], [])
    assert sum(goal in s.skills for s in resp.steps) >= len(resp.steps) // 2


def test_excluded_items_never_appear(fitted: Recommender, small_world: World) -> None:
    lid = learners(small_world)[4]
    first = [s.item_id for s in ask(fitted, lid).steps]
    again = ask(fitted, lid, exclude_items=first[:3])
    assert not set(first[:3]) & {s.item_id for s in again.steps}


def test_cold_start_and_unknown_learner(fitted: Recommender, small_world: World) -> None:
    fw = small_world.framework
    resp = ask(fitted, "brand-new", role=fw.role_ids[0], region=fw.region_ids[0])
    assert resp.cold_start and resp.steps and resp.top_gaps
    with pytest.raises(UnknownLearnerError, match="send 'role' and 'region'"):
        ask(fitted, "brand-new")
    with pytest.raises(ConfigError, match="role 'pilot' is not in the framework"):
        ask(fitted, "brand-new", role="pilot")
    with pytest.raises(ConfigError, match="goal_skills: unknown id"):
        ask(fitted, learners(small_world)[0], goal_skills=["juggling"])


def test_fallback_is_degraded_and_keeps_the_rules(fitted: Recommender, small_world: World) -> None:
    lid = learners(small_world)[0]
    resp = fitted.fallback(RecommendRequest(learner_id=lid))
    assert resp.degraded and resp.steps
    region = small_world.learners.set_index(C.LEARNER_ID).loc[lid, C.REGION]
    scopes = small_world.catalog.set_index(C.ITEM_ID).loc[[s.item_id for s in resp.steps], C.SCOPE]
    assert set(scopes) <= {"global", region}


def test_save_load_round_trip_gives_identical_recommendations(
    fitted: Recommender, small_world: World, tmp_path: Path
) -> None:
    loaded = Recommender.load(fitted.save(tmp_path / "m"))
    when = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    for lid in learners(small_world, 25):
        assert ask(loaded, lid, as_of=when) == ask(fitted, lid, as_of=when)
    assert loaded.model_version == fitted.model_version


def test_bundle_uses_safe_formats_only(fitted: Recommender, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "m")
    names = sorted(p.name for p in path.iterdir())
    assert names == [
        "arrays.npz",
        "bundle.json",
        "catalog.parquet",
        "framework.yaml",
        "learners.parquet",
        "ranker.txt",
        "skills.txt",
    ]
    with np.load(path / "arrays.npz", allow_pickle=False) as a:
        assert all(a[k].dtype != object for k in a.files)


@pytest.mark.parametrize("damage", ["missing", "corrupt", "framework", "format", "notabundle"])
def test_broken_bundles_fail_with_a_precise_error(
    fitted: Recommender, tmp_path: Path, damage: str
) -> None:
    path = fitted.save(tmp_path / "m")
    expected = None
    if damage == "missing":
        (path / "ranker.txt").unlink()
        match = "incomplete, ranker.txt is missing"
    elif damage == "corrupt":
        with (path / "arrays.npz").open("r+b") as fh:
            fh.seek(100)
            fh.write(b"garbage")
        match = "arrays.npz is corrupt"
    elif damage == "framework":
        expected = "2099.1"
        match = "trained on framework version 'synthetic-1', expected '2099.1'"
    elif damage == "format":
        manifest = json.loads((path / "bundle.json").read_text())
        manifest["format"] = 99
        (path / "bundle.json").write_text(json.dumps(manifest))
        match = "bundle format 99"
    else:
        path = tmp_path
        match = "is not a pathfinder model bundle"
    with pytest.raises(ModelLoadError, match=match):
        Recommender.load(path, expected_framework_version=expected)


def test_erasure_leaves_only_non_personalised_output(
    fitted: Recommender, small_world: World, tmp_path: Path
) -> None:
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    lid = learners(small_world)[6]
    assert rec.forget_learner(lid)
    resp = ask(rec, lid)
    assert resp.cold_start
    row = rec.registry_.index[lid]
    assert not rec.registry_.completed[row] and not rec.registry_.engagement[row]
    assert np.isnan(rec.engine_.skills.state_.last_score[row]).all()
    assert not rec.user_factors_[row].any()


def test_a_learner_unknown_at_fit_is_folded_in_from_new_events(
    small_world: World, tmp_path: Path, fitted: Recommender
) -> None:
    """No retraining: events of a new learner give them CF factors and a personalised path."""
    rec = Recommender.load(fitted.save(tmp_path / "m"))
    fw = small_world.framework
    rec.add_learner("newcomer", fw.role_ids[0], fw.region_ids[0], None)
    cold = ask(rec, "newcomer")
    assert not rec.user_factors_[rec.registry_.index["newcomer"]].any()
    donor = learners(small_world)[0]
    items = small_world.events.loc[
        (small_world.events[C.LEARNER_ID] == donor) & (small_world.events[C.VERB] == "launched"),
        C.ITEM_ID,
    ].unique()[:6]
    ts = pd.Timestamp(rec._clock(None) * 86_400, unit="s", tz="UTC")
    rec.observe_events(
        pd.DataFrame(
            {
                C.EVENT_ID: [f"00000000-0000-4000-8000-{k:012d}" for k in range(len(items))],
                C.LEARNER_ID: ["newcomer"] * len(items),
                C.ITEM_ID: items,
                C.VERB: ["completed"] * len(items),
                C.TIMESTAMP: [ts] * len(items),
                C.DURATION_S: [600.0] * len(items),
                C.SCORE: [np.nan] * len(items),
                C.RATING: [np.nan] * len(items),
            }
        )
    )
    warm = ask(rec, "newcomer")
    assert rec.user_factors_[rec.registry_.index["newcomer"]].any()
    assert not set(items) & {s.item_id for s in warm.steps if not s.review}
    assert [s.item_id for s in warm.steps] != [s.item_id for s in cold.steps]


def test_slate_takes_other_chances_and_gain_weights(
    fitted: Recommender, small_world: World
) -> None:
    """The slate analysis hook: chances replace the ranker's, gain_weight the config's."""
    eng = fitted.engine_
    row = fitted.registry_.index[small_world.learners[C.LEARNER_ID].iloc[3]]
    snap = eng.snapshot(
        row,
        int(fitted.registry_.role[row]),
        int(fitted.registry_.region[row]),
        None,
        fitted._clock(None),
    )
    cands, X = eng.score_view(
        snap,
        fitted._user_vector(row),
        fitted.registry_.completed[row],
        set(),
        fitted.registry_.engagement[row],
    )
    default, _ = fitted.slate(snap, cands, X)
    assert (
        default.tolist()
        == fitted.slate(snap, cands, X, gain_weight=fitted.config.gain_weight)[0].tolist()
    )
    pick = default[-1]  # the model's last choice
    chances = (cands == pick).astype(float)
    order, _ = fitted.slate(snap, cands, X, chances=chances, gain_weight=0.0)
    assert len(cands) > 1 and order[0] == pick
    assert sorted(order.tolist()) == sorted(cands.tolist())
