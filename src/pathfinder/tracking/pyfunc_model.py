"""MLflow models-from-code entry: the registered pyfunc wraps a pathfinder bundle.

MLflow loads this file (it is not pickled), then :meth:`PathfinderPyfunc.load_context` reads the
bundle artefact, which holds only safe formats. Input: a DataFrame with a ``request`` column of
RecommendRequest JSON; output: a DataFrame with a ``response`` column of RecommendResponse JSON.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest


class PathfinderPyfunc(PythonModel):  # type: ignore[misc]
    """Batch ``recommend`` over a DataFrame of JSON requests."""

    def load_context(self, context: PythonModelContext) -> None:
        self.recommender = Recommender.load(context.artifacts["bundle"])

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        responses = [
            self.recommender.recommend(RecommendRequest.model_validate_json(text)).model_dump_json()
            for text in model_input["request"]
        ]
        return pd.DataFrame({"response": responses})


mlflow.models.set_model(PathfinderPyfunc())
