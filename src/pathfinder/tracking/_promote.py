"""``pathfinder promote``: move the ``champion`` alias to the challenger when it is better."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
from mlflow.exceptions import MlflowException

from pathfinder.errors import ConfigError
from pathfinder.tracking._train import CHALLENGER, CHAMPION, GUARD, PRIMARY

__all__ = ["Decision", "promote"]


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    challenger: str
    champion: str | None


def _version_by_alias(client: mlflow.MlflowClient, name: str, alias: str) -> object | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def promote(name: str = "pathfinder", tolerance: float = 0.01) -> Decision:
    """Promote the challenger if it beats the champion on simulated learning gain (primary)
    without losing more than ``tolerance`` NDCG@10; say why either way."""
    client = mlflow.MlflowClient()
    challenger = _version_by_alias(client, name, CHALLENGER)
    if challenger is None:
        raise ConfigError(
            f"registered model '{name}' has no '{CHALLENGER}' version: run `pathfinder train` first"
        )
    champion = _version_by_alias(client, name, CHAMPION)
    c_metrics = client.get_run(challenger.run_id).data.metrics  # type: ignore[attr-defined]
    cv = str(challenger.version)  # type: ignore[attr-defined]
    if champion is None:
        client.set_registered_model_alias(name, CHAMPION, cv)
        return Decision(True, f"no champion yet: version {cv} becomes champion", cv, None)
    hv = str(champion.version)  # type: ignore[attr-defined]
    if hv == cv:
        return Decision(False, f"version {cv} is already champion", cv, hv)
    h_metrics = client.get_run(champion.run_id).data.metrics  # type: ignore[attr-defined]
    missing = [m for m in (PRIMARY, GUARD) if m not in c_metrics or m not in h_metrics]
    if missing:
        return Decision(False, f"cannot compare: runs lack metrics {missing}", cv, hv)
    gain_c, gain_h = c_metrics[PRIMARY], h_metrics[PRIMARY]
    ndcg_c, ndcg_h = c_metrics[GUARD], h_metrics[GUARD]
    if gain_c <= gain_h:
        return Decision(
            False,
            f"challenger v{cv} simulated gain {gain_c:.4f} does not beat "
            f"champion v{hv} {gain_h:.4f}",
            cv,
            hv,
        )
    if ndcg_c < ndcg_h - tolerance:
        return Decision(
            False,
            f"challenger v{cv} gains {gain_c:.4f} > {gain_h:.4f} but NDCG@10 "
            f"drops {ndcg_h:.4f} -> {ndcg_c:.4f}, beyond the tolerance {tolerance}",
            cv,
            hv,
        )
    client.set_registered_model_alias(name, CHAMPION, cv)
    return Decision(
        True,
        f"challenger v{cv} simulated gain {gain_c:.4f} > {gain_h:.4f} with "
        f"NDCG@10 {ndcg_c:.4f} (champion {ndcg_h:.4f}, tolerance {tolerance}): "
        "promoted",
        cv,
        hv,
    )
