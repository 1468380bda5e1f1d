"""Offline evaluation on a temporal split: ranking, skill state, simulated learning gain."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.evaluation._metrics import average_precision_at_k, ndcg_at_k, recall_at_k
from pathfinder.evaluation._policies import baseline_policies
from pathfinder.evaluation._simulator import GroundTruth, PathSimulator
from pathfinder.history import METHOD, days
from pathfinder.recommender import Policy, Recommender, RecommenderConfig
from pathfinder.schemas import RecommendRequest
from pathfinder.synthetic import TRUTH_DIR

__all__ = ["EvaluationConfig", "EvaluationResult", "PolicyFactory", "evaluate"]

log = logging.getLogger(__name__)
MODEL = "model"


class EvaluationConfig(BaseModel):
    """How the offline evaluation splits time and what it measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test_weeks: int = Field(8, ge=1, le=52, description="Weeks after the split time T.")
    horizon_weeks: int = Field(8, ge=1, le=52, description="Path horizon and simulated weeks.")
    max_steps: int = Field(10, ge=1, le=50)
    k: int = Field(10, ge=1, le=100, description="Cut-off of NDCG/Recall/MAP.")
    max_learners: int = Field(1500, ge=10, description="Test learners sampled.")
    seed: int = Field(0, ge=0)
    simulate: bool = Field(True, description="Simulated learning gain (synthetic worlds only).")


@dataclass
class EvaluationResult:
    """Every number of one evaluation, for JSON, Markdown and MLflow."""

    split: dict[str, Any]
    ranking: dict[str, dict[str, float]]
    learning_gain: dict[str, float]
    gain_curves: dict[str, list[float]]
    skill_state: dict[str, dict[str, float]]
    recommender: Recommender = field(repr=False)
    seconds: float = 0.0

    def metrics(self) -> dict[str, float]:
        """Flat ``policy.metric`` names (MLflow metric keys: ``@`` becomes ``_at_``)."""
        out: dict[str, float] = {}
        for policy, values in self.ranking.items():
            out.update({f"{policy}.{k.replace('@', '_at_')}": v for k, v in values.items()})
        for policy, value in self.learning_gain.items():
            out[f"{policy}.sim_gap_closed"] = value
        for name, values in self.skill_state.items():
            out.update({f"skill_state.{name}.{k}": v for k, v in values.items()})
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "ranking": self.ranking,
            "learning_gain": self.learning_gain,
            "gain_curves": self.gain_curves,
            "skill_state": self.skill_state,
            "seconds": self.seconds,
        }

    def to_markdown(self) -> str:
        k = self.split["k"]
        lines = [
            f"Split at {self.split['split_time']} ({self.split['test_learners']} test "
            f"learners, {self.split['horizon_weeks']}-week paths).",
            "",
            f"| policy | NDCG@{k} | Recall@{k} | MAP@{k} | coverage | sim. gap closed |",
            "|---|---|---|---|---|---|",
        ]
        for policy, m in self.ranking.items():
            gain = self.learning_gain.get(policy, float("nan"))
            lines.append(
                f"| {policy} | {m[f'ndcg@{k}']:.4f} | {m[f'recall@{k}']:.4f} | "
                f"{m[f'map@{k}']:.4f} | {m['coverage']:.3f} | {gain:.4f} |"
            )
        if "none" in self.learning_gain:
            lines.append(f"| no path | – | – | – | – | {self.learning_gain['none']:.4f} |")
        lines += [
            "",
            "| skill state on held-out assessments | MAE | RMSE | n |",
            "|---|---|---|---|",
        ]
        for name, m in self.skill_state.items():
            lines.append(f"| {name} | {m['mae']:.4f} | {m['rmse']:.4f} | {int(m['n'])} |")
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(
            json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8"
        )
        (out / "evaluation.md").write_text(self.to_markdown(), encoding="utf-8")


def _split_time(world: World, cfg: EvaluationConfig) -> tuple[pd.Timestamp, int | None]:
    """T, and the ground-truth snapshot week it falls on (None without truth)."""
    truth = world.root / TRUTH_DIR / "dynamics.json" if world.root else None
    if truth is not None and truth.exists():
        meta = json.loads(truth.read_text(encoding="utf-8"))
        every = int(meta.get("snapshot_every", 1))
        week = (int(meta["weeks"]) - cfg.test_weeks) // every * every
        return pd.Timestamp(meta["start"], tz="UTC") + pd.Timedelta(weeks=week), week
    end = max(world.events[C.TIMESTAMP].max(), world.assessments[C.ASSESSED_AT].max())
    return end - pd.Timedelta(weeks=cfg.test_weeks), None


def _skill_state_errors(rec: Recommender, world: World, t0: float) -> dict[str, dict[str, float]]:
    a = world.assessments
    held = a[a[C.ASSESSED_AT] >= pd.Timestamp(t0 * 86_400, unit="s", tz="UTC")]
    index = rec.registry_.index
    held = held[held[C.LEARNER_ID].isin(list(index))]
    rows = held[C.LEARNER_ID].map(index).to_numpy(dtype=np.int64)
    skills = held[C.SKILL_ID].map(rec.skill_index_).to_numpy(dtype=np.int64)
    preds = rec.engine_.skills.predict_scores(
        rows, skills, days(held[C.ASSESSED_AT]), held[C.METHOD].map(METHOD).to_numpy(np.int64)
    )
    truth = held[C.SCORE].to_numpy(dtype=float)
    return {
        name: {
            "mae": float(np.mean(np.abs(p - truth))),
            "rmse": float(np.sqrt(np.mean((p - truth) ** 2))),
            "n": float(len(truth)),
        }
        for name, p in preds.items()
    }


#: Builds more policies to measure from the fitted recommender and the truth's snapshot week at
#: T (None without truth): analysis, e.g. the model with oracle inputs (bench_frontier.py).
PolicyFactory = Callable[[Recommender, int | None], Mapping[str, Policy]]


def evaluate(
    world: World,
    config: RecommenderConfig | None = None,
    eval_config: EvaluationConfig | None = None,
    extra_policies: PolicyFactory | None = None,
) -> EvaluationResult:
    """Fit on evidence before T, then measure the model, every baseline and any extra policy."""
    started = time.perf_counter()
    cfg = eval_config or EvaluationConfig()
    split, week = _split_time(world, cfg)
    rec = Recommender(config).fit(world, as_of=split.to_pydatetime())
    t0 = float(days(pd.Series([split]))[0])
    end = split + pd.Timedelta(weeks=cfg.horizon_weeks)
    ev = world.events
    later = ev[(ev[C.TIMESTAMP] >= split) & (ev[C.TIMESTAMP] < end) & (ev[C.VERB] == "completed")]
    relevant_by = later.groupby(C.LEARNER_ID)[C.ITEM_ID].agg(set)
    known = [lid for lid in relevant_by.index if lid in rec.registry_.index]
    rng = np.random.default_rng(cfg.seed)
    test = sorted(rng.choice(known, size=min(cfg.max_learners, len(known)), replace=False))
    item_index = rec.item_index_
    policies: dict[str, Policy] = {MODEL: rec._model_policy, **baseline_policies(cfg.seed)}
    if extra_policies is not None:
        policies.update(extra_policies(rec, week))
    paths: dict[str, dict[str, list[tuple[int, int, bool]]]] = {}
    for name, policy in policies.items():
        rec.reset_capacity()
        paths[name] = {}
        for lid in test:
            resp = rec.recommend_with(
                RecommendRequest(
                    learner_id=lid,
                    max_steps=cfg.max_steps,
                    horizon_weeks=cfg.horizon_weeks,
                    as_of=split.to_pydatetime(),
                ),
                policy,
            )
            paths[name][lid] = [(item_index[s.item_id], s.week, s.review) for s in resp.steps]
    ranking = {}
    for name, by_learner in paths.items():
        nd, rc, ap, items = [], [], [], set()
        for lid, steps in by_learner.items():
            ranked = [i for i, _, review in steps if not review]
            relevant = {item_index[x] for x in relevant_by[lid]}
            nd.append(ndcg_at_k(ranked, relevant, cfg.k))
            rc.append(recall_at_k(ranked, relevant, cfg.k))
            ap.append(average_precision_at_k(ranked, relevant, cfg.k))
            items.update(ranked)
        ranking[name] = {
            f"ndcg@{cfg.k}": float(np.mean(nd)),
            f"recall@{cfg.k}": float(np.mean(rc)),
            f"map@{cfg.k}": float(np.mean(ap)),
            "coverage": len(items) / rec.engine_.catalog.n_items,
        }
    gains: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    if cfg.simulate and week is not None and world.root is not None:
        gains, curves = _simulate(rec, world, week, t0, test, paths, cfg)
    result = EvaluationResult(
        split={
            "split_time": split.isoformat(),
            "snapshot_week": week,
            "test_learners": len(test),
            "horizon_weeks": cfg.horizon_weeks,
            "k": cfg.k,
            "max_steps": cfg.max_steps,
            "seed": cfg.seed,
        },
        ranking=ranking,
        learning_gain=gains,
        gain_curves=curves,
        skill_state=_skill_state_errors(rec, world, t0),
        recommender=rec,
    )
    rec.reset_capacity()
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _simulate(
    rec: Recommender,
    world: World,
    week: int,
    t0: float,
    test: list[str],
    paths: dict[str, dict[str, list[tuple[int, int, bool]]]],
    cfg: EvaluationConfig,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    eng = rec.engine_
    assert world.root is not None
    truth = GroundTruth.load(
        world.root, week, rec.registry_.ids[: len(world.learners)], eng.framework.skill_ids
    )
    sim = PathSimulator(truth, eng.catalog, eng.framework)
    on = (pd.Timestamp(t0 * 86_400, unit="s", tz="UTC")).date()
    gains, curves = {}, {}
    for name in [*paths, "none"]:
        closed = []
        for k, lid in enumerate(test):
            row = rec.registry_.index[lid]
            role, region = rec.registry_.role[row], rec.registry_.region[row]
            targets = eng.role_targets[role]
            priority = eng.framework.priority_vector(
                eng.framework.region_ids[region],
                eng.framework.role_ids[role],
                dt.date(on.year, on.month, on.day),
            )
            steps = [] if name == "none" else [(i, w) for i, w, _ in paths[name][lid]]
            curve = sim.follow(
                row,
                steps,
                cfg.horizon_weeks,
                targets,
                priority,
                rec.registry_.completed[row],
                seed=cfg.seed * 1_000_003 + k,
            )
            closed.append(curve[0] - curve)
        mean = np.mean(closed, axis=0)
        gains[name] = float(mean[-1])
        curves[name] = [float(x) for x in mean]
    return gains, curves
