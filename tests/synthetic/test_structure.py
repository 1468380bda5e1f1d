"""The four structural properties of DESIGN §4, measured on generated data.

Each property is asserted with a number and a threshold; negative controls generate worlds whose
dynamics lack the structure and show the same measurement falls below the threshold, so the
thresholds are ones a structureless generator fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pathfinder.data import World, load_world
from pathfinder.synthetic import SIZES, Dynamics, simulate
from pathfinder.synthetic.structure import StructureReport, measure_structure
from pathfinder.synthetic.writer import write_simulation

SUITABLE_MARGIN = 0.04  # assessment points per completion, suitable over unsuitable level
PREREQ_MARGIN = 0.015  # assessment points per completion, prerequisites met over unmet
FORGETTING_SLOPE = -0.008  # score change per 90 idle days
CF_LIFT = 1.3  # recall ratio of co-engagement over popular-in-role/region


@pytest.fixture(scope="module")
def report(small_world: World) -> StructureReport:
    return measure_structure(small_world)


def _measure(tmp: Path, dynamics: Dynamics | None) -> StructureReport:
    sim = simulate(SIZES["medium"], 1, dynamics=dynamics)
    write_simulation(sim, tmp, "parquet", {"size": "medium", "seed": 1})
    return measure_structure(load_world(tmp))


@pytest.fixture(scope="module")
def medium_report(tmp_path_factory: pytest.TempPathFactory) -> StructureReport:
    """Learning effects are measured through noisy assessments: the medium world has the power."""
    return _measure(tmp_path_factory.mktemp("medium"), None)


@pytest.mark.slow
def test_suitable_level_completions_raise_assessments_more(medium_report: StructureReport) -> None:
    r = medium_report
    assert r.gain_suitable > 0.03
    assert r.gain_suitable - r.gain_unsuitable_level > SUITABLE_MARGIN
    assert r.gain_met_prerequisites - r.gain_unmet_prerequisites > PREREQ_MARGIN


@pytest.mark.slow
def test_scores_fall_with_time_since_practice(medium_report: StructureReport) -> None:
    assert medium_report.forgetting_per_90_days < FORGETTING_SLOPE


def test_engagement_has_collaborative_structure(report: StructureReport) -> None:
    assert report.cf_recall > CF_LIFT * report.role_popularity_recall


def test_regions_languages_local_items_and_changing_priorities(
    report: StructureReport, small_world: World
) -> None:
    assert report.own_language_share > 0.99
    assert report.learner_language_share > 0.85
    assert 0.1 < report.local_item_share < 0.3
    assert report.priority_lift > 1.3
    fw = small_world.framework
    assert small_world.learners["language"].nunique() >= 4
    assert len({tuple(r.languages) for r in fw.regions}) == len(fw.regions)
    assert any(p.end is not None for p in fw.priorities)
    assert any(
        p.start is not None and p.start > small_world.events["timestamp"].min().date()
        for p in fw.priorities
    )


@pytest.mark.slow
def test_negative_control_without_learning_structure(tmp_path: Path) -> None:
    flat = Dynamics(
        zpd_width=100.0,
        unmet_skill_prereq_factor=1.0,
        unmet_item_prereq_factor=1.0,
        floor_share=1.0,
    )
    r = _measure(tmp_path, flat)
    assert r.gain_suitable - r.gain_unsuitable_level < SUITABLE_MARGIN
    assert r.gain_met_prerequisites - r.gain_unmet_prerequisites < PREREQ_MARGIN
    assert r.forgetting_per_90_days > FORGETTING_SLOPE
