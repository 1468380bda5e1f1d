"""``pathfinder fit`` and ``pathfinder recommend`` through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "pathfinder")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def model_dir(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    proc = run("fit", "--data", str(tiny_dir), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "fitted synthetic-1-" in proc.stdout
    return out


def test_recommend_prints_a_table_and_json(model_dir: Path) -> None:
    table = run("recommend", "--model", str(model_dir), "--learner", "l000010")
    assert table.returncode == 0, table.stderr
    assert "top gaps" in table.stdout and "path" in table.stdout
    js = run(
        "recommend", "--model", str(model_dir), "--learner", "l000010", "--json", "--max-steps", "3"
    )
    body = json.loads(js.stdout)
    assert body["learner_id"] == "l000010" and 1 <= len(body["steps"]) <= 3
    first = body["steps"][0]["item_id"]
    assert first in table.stdout


def test_goal_and_exclude_flags(model_dir: Path, tiny_dir: Path) -> None:
    import yaml

    skill = yaml.safe_load((tiny_dir / "framework.yaml").read_text())["skills"][0]["id"]
    js = run(
        "recommend", "--model", str(model_dir), "--learner", "l000010", "--json", "--goal", skill
    )
    body = json.loads(js.stdout)
    assert {g["skill"] for g in body["top_gaps"]} <= {skill}
    first = body["steps"][0]["item_id"] if body["steps"] else None
    if first:
        again = json.loads(
            run(
                "recommend",
                "--model",
                str(model_dir),
                "--learner",
                "l000010",
                "--json",
                "--goal",
                skill,
                "--exclude",
                first,
            ).stdout
        )
        assert first not in [s["item_id"] for s in again["steps"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--learner", "nobody"], "error: unknown learner 'nobody': send 'role' and 'region'"),
        (["--learner", "l000010", "--goal", "juggling"], "error: goal_skills: unknown id"),
        (["--learner", "nobody", "--role", "pilot"], "error: role 'pilot' is not in the framework"),
    ],
)
def test_bad_requests_exit_2_with_one_line(model_dir: Path, args: list[str], message: str) -> None:
    proc = run("recommend", "--model", str(model_dir), *args)
    assert proc.returncode == 2
    assert proc.stderr.startswith(message) and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_or_broken_model_exits_2(tmp_path: Path, tiny_dir: Path) -> None:
    proc = run("recommend", "--model", str(tmp_path), "--learner", "l000010")
    assert proc.returncode == 2 and "is not a pathfinder model bundle" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[model.ranker]\nrounds = -3\n")
    proc = run("fit", "--data", str(tiny_dir), "--out", str(tmp_path / "m"), "--config", str(bad))
    assert proc.returncode == 2
    assert "bad.toml: model.ranker.rounds" in proc.stderr
