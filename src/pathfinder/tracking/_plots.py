"""PNG charts of a training run (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from pathfinder.evaluation import EvaluationResult

__all__ = ["write_plots"]


def _metrics_vs_baselines(res: EvaluationResult, path: Path) -> None:
    k = res.split["k"]
    policies = list(res.ranking)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ndcg = [res.ranking[p][f"ndcg@{k}"] for p in policies]
    colors = ["tab:blue" if p == "model" else "tab:gray" for p in policies]
    axes[0].bar(policies, ndcg, color=colors)
    axes[0].set_title(f"NDCG@{k} on held-out completions")
    if res.learning_gain:
        gain = [res.learning_gain.get(p, 0.0) for p in policies]
        axes[1].bar(policies, gain, color=colors)
        axes[1].axhline(
            res.learning_gain.get("none", 0.0), color="tab:red", ls="--", label="no path"
        )
        axes[1].legend()
    axes[1].set_title(f"simulated weighted gap closed ({res.split['horizon_weeks']} weeks)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _gain_curves(res: EvaluationResult, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for policy, curve in res.gain_curves.items():
        ax.plot(range(len(curve)), curve, label=policy, lw=2.5 if policy == "model" else 1.2)
    ax.set_xlabel("week")
    ax.set_ylabel("priority-weighted gap closed (mean per learner)")
    ax.set_title("simulated gap closure over weeks")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _heatmap(gaps: pd.DataFrame, path: Path) -> None:
    """``gaps``: index teams, columns skills, values mean weighted gap."""
    fig, ax = plt.subplots(figsize=(max(6, 0.25 * gaps.shape[1]), max(4, 0.18 * gaps.shape[0])))
    im = ax.imshow(gaps.to_numpy(), aspect="auto", cmap="magma_r")
    ax.set_xticks(range(gaps.shape[1]), gaps.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(gaps.shape[0]), gaps.index, fontsize=5)
    ax.set_title("mean weighted skill gap by team at the split time")
    fig.colorbar(im, ax=ax, shrink=0.7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _importance(importance: dict[str, float], path: Path) -> None:
    names = sorted(importance, key=importance.get)  # type: ignore[arg-type]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.barh(names, [importance[n] for n in names], color="tab:blue")
    ax.set_title("ranker feature importance (total gain)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plots(res: EvaluationResult, team_gaps: pd.DataFrame, out: Path) -> list[Path]:
    """Write the four charts into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        out / "metrics_vs_baselines.png",
        out / "gap_closure_over_weeks.png",
        out / "skill_team_gap_heatmap.png",
        out / "ranker_feature_importance.png",
    ]
    _metrics_vs_baselines(res, paths[0])
    if res.gain_curves:
        _gain_curves(res, paths[1])
    else:
        paths.remove(paths[1])
    _heatmap(team_gaps, out / "skill_team_gap_heatmap.png")
    _importance(res.recommender.ranker_.feature_importance(), out / "ranker_feature_importance.png")
    return paths
