"""``pathfinder forecast`` / ``pathfinder report`` through click: outputs, MLflow, bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner

from pathfinder.cli import cli
from pathfinder.data import World


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--horizon", "0"], "error: horizon must be a positive number of days, got 0"),
        (
            ["--horizon", "30", "--horizon", "-7"],
            "error: horizon must be a positive number of days, got -7",
        ),
        (["--weekly-minutes", "0"], "error: weekly minutes must be > 0, got 0.0"),
        (["--as-of", "yesterday-ish"], "error: --as-of 'yesterday-ish' is not an ISO date"),
    ],
)
def test_bad_options_exit_2(
    tiny_dir: Path, tiny_model: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    code, _, err = invoke(
        "forecast",
        "--data",
        str(tiny_dir),
        "--model",
        str(tiny_model),
        "--out",
        str(tmp_path / "o"),
        "--no-track",
        *extra,
    )
    assert code == 2
    assert err.startswith(message) and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_model_of_another_framework_version_exits_2(
    tiny_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    fw = data / "framework.yaml"
    fw.write_text(fw.read_text().replace("version: synthetic-1", "version: '2026.2'", 1))
    code, _, err = invoke(
        "forecast",
        "--data",
        str(data),
        "--model",
        str(tiny_model),
        "--out",
        str(tmp_path / "o"),
        "--no-track",
    )
    assert code == 2
    assert err.startswith(
        f"error: model {tiny_model} was trained on framework version 'synthetic-1' but "
        f"{data}/framework.yaml is version '2026.2'"
    )


def test_missing_table_exits_2(tiny_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_dir, data)
    (data / "learners.parquet").unlink()
    code, _, err = invoke(
        "forecast",
        "--data",
        str(data),
        "--model",
        str(tiny_model),
        "--out",
        str(tmp_path / "o"),
        "--no-track",
    )
    assert code == 2
    assert (
        err.strip()
        == f"error: learners.csv: missing: expected learners.csv or learners.parquet in {data}"
    )


def test_missing_model_and_bad_forecast_dir_exit_2(tiny_dir: Path, tmp_path: Path) -> None:
    code, _, err = invoke(
        "forecast",
        "--data",
        str(tiny_dir),
        "--model",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "o"),
        "--no-track",
    )
    assert code == 2 and "is not a pathfinder model bundle" in err
    code, _, err = invoke(
        "report",
        "--forecast",
        str(tmp_path),
        "--data",
        str(tiny_dir),
        "--out",
        str(tmp_path / "r.html"),
    )
    assert code == 2
    assert err.strip().startswith(
        f"error: {tmp_path} is not a forecast output: MANIFEST.json is missing"
    )


def test_out_that_is_not_a_forecast_is_never_replaced(
    tiny_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "thesis.txt").write_text("do not delete")
    code, _, err = invoke(
        "forecast",
        "--data",
        str(tiny_dir),
        "--model",
        str(tiny_model),
        "--out",
        str(keep),
        "--no-track",
    )
    assert code == 2 and "is not a forecast output" in err
    assert (keep / "thesis.txt").read_text() == "do not delete"


@pytest.mark.slow
def test_forecast_then_report_logged_to_one_mlflow_run(
    tiny_dir: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "fc"
    code, stdout, err = invoke(
        "forecast",
        "--data",
        str(tiny_dir),
        "--model",
        str(tiny_model),
        "--out",
        str(out),
        "--horizon",
        "30",
        "--horizon",
        "90",
    )
    assert code == 0, err
    assert "= 7,200 rows" in stdout
    assert "forecast: chunk 1/1, 7,200 rows" in err
    manifest = json.loads((out / "MANIFEST.json").read_text())
    run_id = manifest["mlflow_run_id"]
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    assert run.data.metrics["rows"] == 7200 and run.data.params["horizons"] == "30,90"
    assert "h90.expected_closure" in run.data.metrics
    code, stdout, err = invoke(
        "report",
        "--forecast",
        str(out),
        "--data",
        str(tiny_dir),
        "--out",
        str(tmp_path / "r" / "report.html"),
    )
    assert code == 0, err
    assert f"logged to MLflow run {run_id}" in stdout
    names = {a.path for a in client.list_artifacts(run_id, "report")}
    assert "report/report.html" in names and "report/report-gap_heatmap.png" in names
    assert {a.path for a in client.list_artifacts(run_id, "forecast")} >= {
        "forecast/MANIFEST.json",
        "forecast/aggregates",
    }


def test_store_evidence_updates_the_forecast(
    tiny_dir: Path, tiny_model: Path, tiny_world: World, tmp_path: Path
) -> None:
    """Assessments in the event store move the learner's current estimate (as on the server)."""
    import datetime as dt
    import uuid

    import pandas as pd

    from pathfinder.store import open_store

    url = f"sqlite:///{tmp_path / 'events.db'}"
    learner = str(tiny_world.learners["learner_id"].iloc[3])
    skill = tiny_world.framework.skill_ids[0]
    item = str(tiny_world.catalog["item_id"].iloc[0])
    when = tiny_world.events["timestamp"].max().to_pydatetime() + dt.timedelta(days=1)
    store = open_store(url)
    store.append_assessments(
        [
            {
                "learner_id": learner,
                "skill_id": skill,
                "score": 0.99,
                "assessed_at": when,
                "method": "test",
            },
        ]
    )
    store.append_events(
        [
            {
                "event_id": str(uuid.UUID(int=7)),
                "learner_id": learner,
                "item_id": item,
                "verb": "launched",
                "timestamp": when,
                "duration_s": 0.0,
                "score": None,
                "rating": None,
            },
        ]
    )
    store.close()
    outs = {}
    for name, extra in (("plain", []), ("store", ["--store", url])):
        code, _, err = invoke(
            "forecast",
            "--data",
            str(tiny_dir),
            "--model",
            str(tiny_model),
            "--out",
            str(tmp_path / name),
            "--horizon",
            "30",
            "--as-of",
            (when + dt.timedelta(days=1)).isoformat(),
            "--no-track",
            *extra,
        )
        assert code == 0, err
        rows = pd.read_parquet(tmp_path / name / "learner_skill")
        outs[name] = rows.set_index(["learner_id", "skill_id"])["proficiency_now"]
    manifest = json.loads((tmp_path / "store" / "MANIFEST.json").read_text())
    assert manifest["evidence_applied"] == {"events": 1, "assessments": 1, "erased": 0}
    assert outs["store"][(learner, skill)] > outs["plain"][(learner, skill)] + 0.05
    # at the same date, nobody else's estimate moves
    others = outs["plain"].drop(index=(learner, skill))
    assert (outs["store"].drop(index=(learner, skill)) == others).all()
