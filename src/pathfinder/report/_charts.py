"""PNG charts of the steering-group report (matplotlib, Agg backend, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "bar_pairs",
    "gap_heatmap",
    "gap_trajectories",
    "kpi_lines",
    "partner_gain",
    "priority_coverage",
    "rating_bars",
]

_DPI = 100


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def gap_heatmap(table: pd.DataFrame, title: str, path: Path) -> Path:
    """``table``: index teams, columns skills, values mean gap."""
    h, w = table.shape
    fig, ax = plt.subplots(
        figsize=(min(max(6, 0.22 * w + 2), 24), min(max(3.5, 0.2 * h + 1.5), 30))
    )
    im = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="magma_r", vmin=0)
    ax.set_xticks(range(w), table.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(h), table.index, fontsize=6 if h < 60 else 4)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.7, label="mean gap (target − proficiency)")
    return _save(fig, path)


def gap_trajectories(traj: pd.DataFrame, path: Path) -> Path:
    """``traj``: index days (0 = now), columns ``no further learning`` and ``with path``."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for col, style in zip(traj.columns, ("--", "-"), strict=False):
        ax.plot(traj.index, traj[col], style, marker="o", label=col)
    ax.set_xlabel("days ahead")
    ax.set_ylabel("mean priority-weighted gap per learner x skill")
    ax.set_title("forecast gap trajectories")
    ax.set_ylim(bottom=0)
    ax.legend()
    return _save(fig, path)


def priority_coverage(table: pd.DataFrame, path: Path) -> Path:
    """Share below target per priority: now, at the horizon without and with the path."""
    labels = table["priority"].tolist()
    cols = ["share_below_now", "share_below_no_learning", "share_below_with_path"]
    names = ["now", "horizon, no learning", "horizon, with path"]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(labels) + 2), 4))
    for k, (col, name) in enumerate(zip(cols, names, strict=True)):
        ax.bar(x + (k - 1) * 0.27, table[col].fillna(0).to_numpy(), 0.27, label=name)
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("share of learners in scope below target")
    ax.set_ylim(0, 1)
    ax.set_title("strategic priorities: coverage")
    ax.legend(fontsize=8)
    return _save(fig, path)


def partner_gain(table: pd.DataFrame, path: Path) -> Path:
    """Measured gain per hour of learning by partner x domain (horizontal bars)."""
    t = table.dropna(subset=["gain_per_hour"])
    labels = (t["partner"] + " / " + t["domain"]).tolist()
    fig, ax = plt.subplots(figsize=(7, max(3, 0.3 * len(labels) + 1)))
    ax.barh(labels, t["gain_per_hour"].to_numpy(), color="tab:blue")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("measured skill gain per hour of learning")
    ax.set_title("partners: measured gain per hour")
    ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


def rating_bars(table: pd.DataFrame, path: Path) -> Path:
    """Rating distribution (share of ratings 1..5) per modality."""
    fig, ax = plt.subplots(figsize=(7, 4))
    cols = [f"rating_{k}" for k in range(1, 6)]
    x = np.arange(1, 6)
    n = max(len(table), 1)
    for k, row in enumerate(table.itertuples(index=False)):
        counts = np.array([getattr(row, c) for c in cols], dtype=float)
        share = counts / max(counts.sum(), 1.0)
        ax.bar(x + (k - (n - 1) / 2) * 0.8 / n, share, 0.8 / n, label=str(row.modality))
    ax.set_xticks(x)
    ax.set_xlabel("rating")
    ax.set_ylabel("share of ratings")
    ax.set_title("L1 reaction: ratings by modality")
    ax.legend(fontsize=8)
    return _save(fig, path)


def bar_pairs(table: pd.DataFrame, key: str, title: str, path: Path) -> Path:
    """Mean score before vs after completions per ``key`` value."""
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(table) + 2), 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["mean_before"], 0.4, label="before", color="tab:gray")
    ax.bar(x + 0.2, table["mean_after"], 0.4, label="after", color="tab:green")
    ax.set_xticks(x, table[key].astype(str), rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean assessment score")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def kpi_lines(table: pd.DataFrame, path: Path) -> Path:
    """Mean KPI value per period, one line per KPI."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for kpi, part in table.groupby("kpi"):
        ax.plot(part["period"], part["mean_value"], marker="o", label=str(kpi))
    ax.set_xlabel("period")
    ax.set_ylabel("mean value across teams")
    ax.set_title("L4 results: outcomes over time")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(fontsize=8)
    return _save(fig, path)
