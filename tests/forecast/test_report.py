"""The steering-group report: every section and chart, self-contained; evidence by hand."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pathfinder.data import World, load_world
from pathfinder.forecast import ForecastResult
from pathfinder.report import SECTIONS, build_report, pre_post

PNG = b"\x89PNG\r\n\x1a\n"


def sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', page, flags=re.S))


def test_every_section_and_chart(
    local_forecast: ForecastResult, tiny_world: World, tmp_path: Path
) -> None:
    res = build_report(
        local_forecast.out,
        tiny_world,
        tiny_world.events,
        tiny_world.assessments,
        tmp_path / "report.html",
    )
    page = res.html.read_text()
    found = sections(page)
    assert tuple(found) == SECTIONS
    charts = {
        "gap-heatmap": "gap_heatmap",
        "gap-trajectories": "gap_trajectories",
        "priorities": "priority_coverage",
        "partners": "partner_gain",
        "kirkpatrick-l1": "l1_ratings",
        "kirkpatrick-l2": "l2_tests",
        "kirkpatrick-l3": "l3_behaviour",
        "kirkpatrick-l4": "l4_outcomes",
    }
    assert set(res.charts) == set(charts.values())
    for sid, name in charts.items():
        png = tmp_path / f"report-{name}.png"
        assert res.charts[name] == png and png.read_bytes().startswith(PNG)
        embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', found[sid])
        assert len(embedded) == 1 and base64.b64decode(embedded[0]) == png.read_bytes(), sid
        assert "<table" in found[sid], sid
    # self-contained: no external resource
    assert not re.search(r'(src|href)="(?!data:)', page)
    for partner in tiny_world.catalog["partner"].unique():
        assert partner in found["partners"]
    for skill in {p.skill for p in tiny_world.framework.priorities}:
        assert skill in found["priorities"]
    assert "team_performance" in found["kirkpatrick-l4"]


def test_missing_outcomes_are_said_clearly(
    local_forecast: ForecastResult, tiny_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    (data / "outcomes.parquet").unlink()
    world = load_world(data)
    res = build_report(
        local_forecast.out, world, world.events, world.assessments, tmp_path / "r.html"
    )
    l4 = sections(res.html.read_text())["kirkpatrick-l4"]
    assert "No outcomes table in the data directory" in l4 and "<img" not in l4
    assert "l4_outcomes" not in res.charts


def test_pre_post_by_hand() -> None:
    t = pd.Timestamp("2025-01-01", tz="UTC")
    day = pd.Timedelta(days=1)
    done = pd.DataFrame(
        {
            "learner_id": ["a", "a", "b", "c"],
            "skill_id": ["s", "s", "s", "s"],
            "timestamp": [t + 10 * day, t + 12 * day, t + 10 * day, t + 10 * day],
            "completion": [0, 1, 2, 3],
            "hours": [1.0, 1.0, 2.0, 1.0],
        }
    )
    asm = pd.DataFrame(
        {
            "learner_id": ["a", "a", "a", "b", "b", "c"],
            "skill_id": ["s"] * 6,
            "score": [0.3, 0.5, 0.9, 0.4, 0.7, 0.2],
            "assessed_at": [t, t + 5 * day, t + 20 * day, t + 1 * day, t + 300 * day, t + 1 * day],
            "method": ["test"] * 6,
        }
    )
    pp = pre_post(done, asm)
    # a: two completions between 0.5 (day 5) and 0.9 (day 20): 0.4 shared -> 0.2 each;
    # b: the after-measure is beyond the window; c: never measured after
    assert pp["completion"].tolist() == [0, 1]
    assert pp["pre"].tolist() == [0.5, 0.5] and pp["post"].tolist() == [0.9, 0.9]
    assert pp["gain_share"].tolist() == pytest.approx([0.2, 0.2])
