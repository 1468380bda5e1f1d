"""The NDCG / learning-gain frontier of the model's slate, and what perfect estimates would buy.

Usage: ``python benchmarks/bench_frontier.py [--size medium] [--seed 1] [--learners 800]
[--gain-weights 0 0.2 0.3 0.5 1] [--data DIR]``

Issue #4 asks one path to beat ALS-only on NDCG@10 (held-out completions: what learners take on
their own) and the gap rule on simulated learning gain (what closes priority-weighted gaps); the
slate trades one for the other through ``gain_weight``. This measures that frontier for the model
and for the same slate fed with oracle inputs read from the synthetic world's truth:

- **true taste**: the chance of completing each candidate as forecast by the world's own choice
  process (:class:`pathfinder.synthetic.ChoiceOracle`), instead of the learned ranker's;
- **true state**: the learner's latent proficiency at T instead of the skill-state estimate
  (gaps, candidates, features and expected closure all follow from it);

plus a ceiling for NDCG: every eligible item ranked by the true-taste forecast, no slate. One fit,
one split, the evaluation's test learners; the baselines are measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import numpy as np

from pathfinder.data import World, load_world
from pathfinder.evaluation import EvaluationConfig, GroundTruth, evaluate
from pathfinder.gaps import weighted_gaps
from pathfinder.recommender import LearnerSnapshot, Policy, PolicyView, Recommender
from pathfinder.synthetic import ChoiceOracle, generate

CEILING = "true taste, every eligible item (no slate)"


def _name(taste: bool, state: bool, gain_weight: float) -> str:
    return f"{'true' if taste else 'model'}|{'true' if state else 'model'}|{gain_weight:g}"


def oracle_policies(
    world: World, horizon: int, gain_weights: list[float], rec: Recommender, week: int | None
) -> Mapping[str, Policy]:
    """The model's slate with its taste and/or state inputs replaced by the truth."""
    if week is None or world.root is None:
        raise SystemExit("bench_frontier needs a generated world (it reads the ground truth)")
    eng = rec.engine_
    truth = GroundTruth.load(
        world.root, week, rec.registry_.ids[: len(world.learners)], eng.framework.skill_ids
    )
    oracle = ChoiceOracle(world, week, horizon, truth.proficiency, truth.dynamics)
    to_model = np.array([rec.item_index_[x] for x in oracle.item_ids])
    forecast: dict[int, np.ndarray] = {}

    def chances(row: int) -> np.ndarray:
        if row not in forecast:
            forecast[row] = np.zeros(eng.catalog.n_items)
            forecast[row][to_model] = oracle.completion_chances(rec.registry_.ids[row])
        return forecast[row]

    def true_state(snap: LearnerSnapshot, row: int) -> LearnerSnapshot:
        p = truth.proficiency[row]
        gap, weighted = weighted_gaps(snap.targets, p, snap.priority)
        return dataclasses.replace(snap, proficiency=p, gap=gap, weighted_gap=weighted)

    def slate(
        taste: bool, state: bool, gain_weight: float
    ) -> Callable[[PolicyView], tuple[np.ndarray, np.ndarray]]:
        def policy(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
            assert view.row is not None  # test learners are known
            snap = true_state(view.snapshot, view.row) if state else view.snapshot
            cands, X = eng.score_view(snap, view.user, view.completed, view.excluded, view.engaged)
            taken = chances(view.row)[cands] if taste else None
            return rec.slate(snap, cands, X, chances=taken, gain_weight=gain_weight)

        policy.presorted = True  # type: ignore[attr-defined]
        return policy

    def ceiling(view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        assert view.row is not None
        eligible = np.flatnonzero(view.eligible())
        c = chances(view.row)[eligible]
        best = np.argsort(-c, kind="stable")[:200]
        return eligible[best], c[best]

    out: dict[str, Policy] = {CEILING: ceiling}
    for gw in gain_weights:
        for taste in (False, True):
            for state in (False, True):
                out[_name(taste, state, gw)] = slate(taste, state, gw)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--learners", type=int, default=800)
    parser.add_argument("--gain-weights", type=float, nargs="+", default=[0, 0.2, 0.3, 0.5, 1])
    parser.add_argument("--data", help="an existing generated world (default: generate one)")
    args = parser.parse_args()
    cfg = EvaluationConfig(max_learners=args.learners)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.data) if args.data else Path(tmp)
        if not args.data:
            generate(args.size, args.seed, root)
        world = load_world(root)
        factory = partial(oracle_policies, world, cfg.horizon_weeks, args.gain_weights)
        res = evaluate(world, eval_config=cfg, extra_policies=factory)
    ndcg = {name: m[f"ndcg@{cfg.k}"] for name, m in res.ranking.items()}
    gain = res.learning_gain
    als, rule = ndcg["als_only"], gain["gap_rule"]
    print(
        f"\n{world.manifest.get('size', '?')} world, seed {world.manifest.get('seed', '?')}, "
        f"{res.split['test_learners']} test learners, split {res.split['split_time']}\n"
    )
    print(f"Baselines: ALS-only NDCG@10 {als:.4f}; gap rule sim. gap closed {rule:.4f}.")
    print(f"NDCG@10 ceiling ({CEILING}): {ndcg[CEILING]:.4f} ({ndcg[CEILING] / als:.2f} x ALS)\n")
    print(
        "| chance of taking | skill state | gain_weight | NDCG@10 | x ALS-only "
        "| sim. gap closed | x gap rule | beats both |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in ndcg:
        if name.count("|") != 2:
            continue
        taste, state, gw = name.split("|")
        n, g = ndcg[name], gain[name]
        both = "yes" if n > als and g > rule else "no"
        print(
            f"| {taste} | {state} | {gw} | {n:.4f} | {n / als:.2f} | {g:.4f} | {g / rule:.2f} "
            f"| {both} |"
        )


if __name__ == "__main__":
    main()
