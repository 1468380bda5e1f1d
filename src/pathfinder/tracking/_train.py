"""``pathfinder train``: one MLflow run per experiment spec, plots, pyfunc model, registry."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from pathfinder.config import ExperimentSpec, load_spec
from pathfinder.data import World, load_world
from pathfinder.data import columns as C
from pathfinder.evaluation import EvaluationResult, evaluate
from pathfinder.history import days
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest
from pathfinder.synthetic import generate
from pathfinder.tracking._plots import write_plots

__all__ = ["TrainResult", "configure_tracking", "train"]

log = logging.getLogger(__name__)
CHALLENGER, CHAMPION = "challenger", "champion"
PRIMARY, GUARD = "model.sim_gap_closed", "model.ndcg_at_10"
PYFUNC_FILE = Path(__file__).with_name("pyfunc_model.py")
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "request")]), outputs=Schema([ColSpec("string", "response")])
)
REQUIREMENTS = [
    "mlflow>=3.17,<4",
    "lightgbm>=4.3",
    "lleaves>=1.3,<2",
    "llvmlite>=0.42,<0.45",
    "implicit>=0.7.2",
    "pandas>=2.2",
    "pyarrow>=15,<26",
    "scikit-learn>=1.5",
    "scipy>=1.11",
    "pydantic>=2.7",
    "pyyaml>=6.0",
    "numpy>=1.26",
]


@dataclass(frozen=True)
class TrainResult:
    """What ``train`` produced."""

    run_id: str
    experiment_id: str
    model_uri: str
    version: str | None
    metrics: dict[str, float]
    result: EvaluationResult


def configure_tracking() -> str:
    """Point MLflow at ``MLFLOW_TRACKING_URI`` or, by default, ``./mlflow.db`` (SQLite)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    return uri


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return out.stdout.strip()


def git_revision() -> str:
    """HEAD of the checkout the code runs from, with ``-dirty`` when uncommitted changes exist."""
    try:
        rev, dirty = _git("rev-parse", "HEAD"), _git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("-dirty" if dirty else "")


def _world(spec: ExperimentSpec) -> World:
    path = spec.data.path
    if not path.exists() and spec.data.generate is not None:
        log.info(
            "generating %s world (seed %d) into %s",
            spec.data.generate.size,
            spec.data.generate.seed,
            path,
        )
        generate(spec.data.generate.size, spec.data.generate.seed, path)
    return load_world(path)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value
    return out


def team_gaps(
    rec: Recommender, world: World, t: float, max_learners: int = 3000, seed: int = 0
) -> pd.DataFrame:
    """Mean weighted gap per team x skill at day ``t`` over a sample of learners."""
    eng = rec.engine_
    rng = np.random.default_rng(seed)
    ids = world.learners[C.LEARNER_ID].to_numpy()
    sample = rng.choice(ids, size=min(max_learners, len(ids)), replace=False)
    teams = world.learners.set_index(C.LEARNER_ID).loc[sample, C.TEAM].to_numpy()
    rows = []
    for lid in sample.tolist():
        row = rec.registry_.index[lid]
        snap = eng.snapshot(
            row, rec.registry_.role[row], rec.registry_.region[row], rec.registry_.language[row], t
        )
        rows.append(snap.weighted_gap)
    frame = pd.DataFrame(np.array(rows), columns=eng.framework.skill_ids)
    frame["team"] = teams
    return frame.groupby("team").mean().sort_index()


def _replay_after(rec: Recommender, world: World, split: pd.Timestamp) -> None:
    """Bring the evaluated model up to date with evidence after the split, without retraining."""
    ev = world.events[world.events[C.TIMESTAMP] >= split]
    asm = world.assessments[world.assessments[C.ASSESSED_AT] >= split]
    if len(ev):
        rec.observe_events(ev)
    if len(asm):
        rec.observe_assessments(asm)


def _log_dataset(world: World, path: Path) -> None:
    with warnings.catch_warnings():
        # a local path matches two equivalent local source types in MLflow's registry
        warnings.filterwarnings(
            "ignore", "The specified dataset source can be interpreted", UserWarning
        )
        dataset = mlflow.data.from_pandas(
            world.learners, source=str(path.resolve()), name=f"{path.name}-learners"
        )
    mlflow.log_input(dataset, context="training")


def _log_evaluation(res: EvaluationResult, world: World, out: Path) -> None:
    mlflow.log_metrics(res.metrics())
    mlflow.log_metric("evaluation_seconds", res.seconds)
    mlflow.log_metrics(
        {
            f"training.{k}": float(v)
            for k, v in res.recommender.training_summary_.items()
            if not isinstance(v, list)
        }
    )
    mlflow.log_dict(res.recommender.completion_.to_dict(), "evaluation/completion_model.json")
    res.write(out)
    split = pd.Timestamp(res.split["split_time"])
    gaps = team_gaps(res.recommender, world, float(days(pd.Series([split]))[0]))
    for path in [
        out / "evaluation.json",
        out / "evaluation.md",
        *write_plots(res, gaps, out / "plots"),
    ]:
        mlflow.log_artifact(
            str(path), artifact_path="evaluation" if path.suffix != ".png" else "plots"
        )


def train(spec_path: Path) -> TrainResult:
    """Run one experiment spec: evaluate base model and variants, log and register the base.

    Every run carries the spec file, git revision, seeds, data manifest and framework version.
    """
    spec = load_spec(spec_path)
    world = _world(spec)
    configure_tracking()
    mlflow.set_experiment(spec.experiment.name)
    manifest_digest = hashlib.sha256(
        json.dumps(world.manifest, sort_keys=True).encode()
    ).hexdigest()[:16]
    tags = {
        "git_revision": git_revision(),
        "spec": spec_path.name,
        "framework_version": world.framework.version,
        "data_manifest": manifest_digest,
        "data_path": str(spec.data.path),
        "data_seed": str(world.manifest.get("seed", "")),
        "generator_version": str(world.manifest.get("generator_version", "")),
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(
            run_name=spec_path.stem, description=spec.experiment.description, tags=tags
        ) as run,
    ):
        mlflow.log_artifact(str(spec_path), artifact_path="spec")
        mlflow.log_dict(world.manifest, "data/MANIFEST.json")
        _log_dataset(world, spec.data.path)
        mlflow.log_params({"evaluation." + k: v for k, v in spec.evaluation.model_dump().items()})
        results: dict[str | None, EvaluationResult] = {}
        for variant in [None, *spec.variants]:
            cfg = spec.model_config_for(variant)
            with mlflow.start_run(run_name=variant or "base", nested=True, tags=tags):
                mlflow.log_params(_flat("", cfg.model_dump(mode="json"), {}))
                res = evaluate(world, cfg, spec.evaluation)
                _log_evaluation(res, world, Path(tmp) / (variant or "base"))
                results[variant] = res
        base = results[None]
        mlflow.log_params(_flat("", spec.model_config_for(None).model_dump(mode="json"), {}))
        mlflow.log_metrics(base.metrics())
        for variant, res in results.items():
            if variant is not None:
                mlflow.log_metrics(
                    {
                        f"variant.{variant}.{k}": v
                        for k, v in res.metrics().items()
                        if k.startswith("model.")
                    }
                )
        _replay_after(base.recommender, world, pd.Timestamp(base.split["split_time"]))
        bundle = base.recommender.save(Path(tmp) / "bundle")
        example = pd.DataFrame(
            {
                "request": [
                    RecommendRequest(
                        learner_id=str(world.learners[C.LEARNER_ID].iloc[0])
                    ).model_dump_json()
                ]
            }
        )
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PYFUNC_FILE),
            artifacts={"bundle": str(bundle)},
            signature=SIGNATURE,
            input_example=example,
            pip_requirements=REQUIREMENTS,
        )
        version = None
        if spec.registry.register_model:
            mv = mlflow.register_model(info.model_uri, spec.registry.name)
            mlflow.MlflowClient().set_registered_model_alias(
                spec.registry.name, CHALLENGER, mv.version
            )
            version = str(mv.version)
        return TrainResult(
            run.info.run_id, run.info.experiment_id, info.model_uri, version, base.metrics(), base
        )
