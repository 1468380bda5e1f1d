"""Training runs read back through the MLflow client; registry aliases; pyfunc round trip."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from pathfinder.schemas import RecommendRequest, RecommendResponse
from pathfinder.tracking import TrainResult, promote, train

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("mlflow")
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    mp.chdir(root)
    yield root
    mp.undo()


def _spec(root: Path, data: Path, name: str, extra: str = "") -> Path:
    spec = root / f"{name}.toml"
    spec.write_text(f"""
[experiment]
name = "test-{name}"
[data]
path = "{data}"
[evaluation]
max_learners = 40
[model.ranker]
rounds = 30
{extra}
""")
    return spec


@pytest.fixture(scope="module")
def trained(tracking: Path, tiny_dir: Path) -> TrainResult:
    data = tracking / "tiny"
    shutil.copytree(tiny_dir, data)
    return train(
        _spec(tracking, data, "base", "[variants.bpr.model.candidates.cf]\nalgorithm = 'bpr'\n")
    )


def test_run_has_params_metrics_tags_artifacts_and_input(trained: TrainResult) -> None:
    client = mlflow.MlflowClient()
    run = client.get_run(trained.run_id)
    assert run.data.params["ranker.rounds"] == "30"
    assert run.data.params["candidates.cf.algorithm"] == "als"
    for key in (
        "model.ndcg_at_10",
        "model.sim_gap_closed",
        "gap_rule.sim_gap_closed",
        "random.ndcg_at_10",
        "skill_state.model.mae",
        "variant.bpr.model.ndcg_at_10",
    ):
        assert key in run.data.metrics, key
    assert run.data.metrics["model.ndcg_at_10"] == pytest.approx(
        trained.result.ranking["model"]["ndcg@10"]
    )
    tags = run.data.tags
    assert tags["framework_version"] == "synthetic-1" and tags["spec"] == "base.toml"
    assert tags["git_revision"] and tags["data_seed"] == "7"
    assert (
        run.inputs.dataset_inputs and run.inputs.dataset_inputs[0].dataset.name == "tiny-learners"
    )
    children = client.search_runs(
        [trained.experiment_id], f"tags.mlflow.parentRunId = '{trained.run_id}'"
    )
    assert sorted(r.info.run_name for r in children) == ["base", "bpr"]
    child = next(r for r in children if r.info.run_name == "bpr")
    assert child.data.params["candidates.cf.algorithm"] == "bpr"
    names = {a.path for a in client.list_artifacts(children[0].info.run_id, "plots")}
    assert names == {
        "plots/metrics_vs_baselines.png",
        "plots/gap_closure_over_weeks.png",
        "plots/skill_team_gap_heatmap.png",
        "plots/ranker_feature_importance.png",
    }
    spec = {a.path for a in client.list_artifacts(trained.run_id, "spec")}
    assert spec == {"spec/base.toml"}
    completion = mlflow.artifacts.load_dict(
        f"runs:/{children[0].info.run_id}/evaluation/completion_model.json"
    )
    assert completion["coef"]["duration_hours"] < 0  # longer items are dropped more (tiny world)


def test_registered_version_and_aliases(trained: TrainResult) -> None:
    client = mlflow.MlflowClient()
    challenger = client.get_model_version_by_alias("pathfinder", "challenger")
    assert str(challenger.version) == trained.version and challenger.run_id == trained.run_id
    decision = promote("pathfinder")
    assert decision.promoted and "no champion yet" in decision.reason
    assert (
        str(client.get_model_version_by_alias("pathfinder", "champion").version) == trained.version
    )
    again = promote("pathfinder")
    assert not again.promoted and "already champion" in again.reason


def test_champion_pyfunc_gives_the_in_process_path(trained: TrainResult) -> None:
    model = mlflow.pyfunc.load_model("models:/pathfinder@champion")
    rec = trained.result.recommender
    ids = [rec.registry_.ids[k] for k in (0, 5, 17)]
    requests = [RecommendRequest(learner_id=i, max_steps=5) for i in ids]
    out = model.predict(pd.DataFrame({"request": [r.model_dump_json() for r in requests]}))
    for req, text in zip(requests, out["response"], strict=True):
        served = RecommendResponse.model_validate_json(text)
        assert served == rec.recommend(req)
        assert served.steps


def test_promotion_needs_a_better_gain(trained: TrainResult, tracking: Path) -> None:
    weaker = train(_spec(tracking, tracking / "tiny", "weaker", "[model]\ngain_weight = 0.0\n"))
    client = mlflow.MlflowClient()
    assert client.get_model_version_by_alias("pathfinder", "challenger").version == int(
        weaker.version or 0
    )
    gain_new = weaker.metrics["model.sim_gap_closed"]
    gain_old = trained.metrics["model.sim_gap_closed"]
    decision = promote("pathfinder", tolerance=0.0)
    assert decision.promoted == (
        gain_new > gain_old
        and weaker.metrics["model.ndcg_at_10"] >= trained.metrics["model.ndcg_at_10"]
    )
    assert ("does not beat" in decision.reason) == (gain_new <= gain_old)
