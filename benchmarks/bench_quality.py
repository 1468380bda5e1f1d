"""Quality against baselines over several seeds of a synthetic world, as one Markdown table.

Usage: ``python benchmarks/bench_quality.py [--size medium] [--seeds 1 2 3] [--learners 1500]``

For each seed: generate the world, fit on evidence before the split T, evaluate the model and
every baseline after T (see docs/evaluate.md). Prints mean ± standard deviation over seeds and
the model's ratio to each baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from pathfinder.data import load_world
from pathfinder.evaluation import EvaluationConfig, evaluate
from pathfinder.synthetic import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--learners", type=int, default=1500)
    args = parser.parse_args()
    rows: dict[str, dict[str, list[float]]] = {}
    skill: dict[str, list[float]] = {}
    fit_s = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            generate(args.size, seed, Path(tmp))
            world = load_world(tmp)
            res = evaluate(world, eval_config=EvaluationConfig(max_learners=args.learners))
        fit_s.append(res.recommender.training_summary_["fit_seconds"])
        for policy, m in res.ranking.items():
            r = rows.setdefault(policy, {})
            r.setdefault("ndcg", []).append(m["ndcg@10"])
            r.setdefault("recall", []).append(m["recall@10"])
            r.setdefault("map", []).append(m["map@10"])
            r.setdefault("coverage", []).append(m["coverage"])
            r.setdefault("gain", []).append(res.learning_gain.get(policy, float("nan")))
        rows.setdefault("no path", {}).setdefault("gain", []).append(res.learning_gain["none"])
        for name, m in res.skill_state.items():
            skill.setdefault(name, []).append(m["mae"])
        print(f"seed {seed}: done ({time.strftime('%H:%M:%S')})", flush=True)

    def ms(values: list[float]) -> str:
        return f"{np.mean(values):.4f} ± {np.std(values):.4f}"

    print(
        f"\n{args.size} world, seeds {args.seeds}, {args.learners} test learners per seed, "
        f"fit {np.mean(fit_s):.0f} s per seed (mean)\n"
    )
    print("| policy | NDCG@10 | Recall@10 | MAP@10 | coverage | sim. gap closed |")
    print("|---|---|---|---|---|---|")
    for policy, r in rows.items():
        if policy == "no path":
            print(f"| no path | – | – | – | – | {ms(r['gain'])} |")
            continue
        print(
            f"| {policy} | {ms(r['ndcg'])} | {ms(r['recall'])} | {ms(r['map'])} | "
            f"{ms(r['coverage'])} | {ms(r['gain'])} |"
        )
    model = rows["model"]

    def ratio(a: list[float], b: list[float]) -> str:
        per_seed = np.array(a) / np.array(b)
        return f"{per_seed.mean():.2f} ± {per_seed.std():.2f}"

    print("\n| model ÷ baseline (per-seed ratios, mean ± sd) | NDCG@10 | sim. gap closed |")
    print("|---|---|---|")
    for policy, r in rows.items():
        if policy in ("model", "no path"):
            continue
        print(
            f"| {policy} | {ratio(model['ndcg'], r['ndcg'])} | {ratio(model['gain'], r['gain'])} |"
        )
    print("\n| skill state, held-out assessments | MAE |")
    print("|---|---|")
    for name, values in skill.items():
        print(f"| {name} | {ms(values)} |")


if __name__ == "__main__":
    main()
