"""``run_forecast``: kernel, engine, aggregates, manifest, and an atomic replace of the output."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pathfinder.data import World
from pathfinder.errors import ConfigError, ModelLoadError
from pathfinder.forecast._aggregate import DIMENSIONS, finish
from pathfinder.forecast._chunk import COLUMNS
from pathfinder.forecast._config import ForecastConfig
from pathfinder.forecast._engines import ProgressFn, run_local, run_spark
from pathfinder.forecast._kernel import ForecastKernel
from pathfinder.history import days, from_days
from pathfinder.recommender import Recommender

__all__ = ["MANIFEST_FILE", "ForecastResult", "read_manifest", "run_forecast"]

log = logging.getLogger(__name__)
MANIFEST_FILE = "MANIFEST.json"
KIND = "pathfinder-forecast"


@dataclass(frozen=True)
class ForecastResult:
    """What :func:`run_forecast` wrote."""

    out: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"]["learner_skill"])


def read_manifest(out: Path) -> dict[str, Any]:
    """The ``MANIFEST.json`` of a forecast directory.

    Raises
    ------
    ConfigError
        When ``out`` holds no forecast.
    """
    path = Path(out) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{out} is not a forecast output: {MANIFEST_FILE} is missing; run "
            "`pathfinder forecast --out DIR` first"
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path} cannot be read: {err}") from err
    if manifest.get("kind") != KIND:
        raise ConfigError(f"{path} is not a pathfinder forecast manifest")
    return dict(manifest)


def _check_target(out: Path) -> None:
    """Refuse to replace a directory that holds something other than a forecast."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not (out / MANIFEST_FILE).is_file():
            raise ConfigError(
                f"--out {out} exists and is not a forecast output; choose an empty or new "
                "directory (a previous forecast there is replaced)"
            )
        read_manifest(out)


def _replace(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; a previous output is swapped out, then deleted."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)


def run_forecast(
    rec: Recommender,
    world: World,
    config: ForecastConfig,
    out: Path,
    *,
    as_of: dt.datetime | None = None,
    model_uri: str = "",
    extra: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    spark: Any = None,
) -> ForecastResult:
    """Forecast every learner x skill at every horizon and write ``out``.

    ``out`` gets ``learner_skill/horizon_days=H/*.parquet``, ``aggregates/{team,region,role,
    skill}.parquet`` and ``MANIFEST.json``. Everything is written to a sibling staging directory
    first and swapped in at the end, so a rerun replaces the output (no duplicate rows) and a
    failed run leaves the previous output intact.

    Raises
    ------
    ModelLoadError
        When the model was trained on another framework version than the data's.
    ConfigError
        When ``out`` holds something other than a forecast.
    """
    started = time.perf_counter()
    data_version, model_version = world.framework.version, rec.framework_version
    if data_version != model_version:
        raise ModelLoadError(
            f"model {model_uri or rec.model_version} was trained on framework version "
            f"{model_version!r} but the data's framework.yaml is version {data_version!r}; "
            "retrain on this framework or point --data at the matching data"
        )
    out = Path(out)
    _check_target(out)
    t0 = rec.clock_ if as_of is None else float(days(pd.Series([pd.Timestamp(as_of)]))[0])
    kernel = ForecastKernel.build(
        rec, world, t0, config.horizons, config.weekly_minutes, config.max_steps
    )
    staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        rows_dir = staging / "learner_skill"
        if config.engine == "spark":
            n_rows, sums = run_spark(
                kernel, staging / "_kernel", config.chunk_size, rows_dir, progress, spark
            )
            shutil.rmtree(staging / "_kernel", ignore_errors=True)
        else:
            n_rows, sums = run_local(kernel, config.chunk_size, rows_dir, progress)
        agg_dir = staging / "aggregates"
        agg_dir.mkdir()
        agg_rows = {}
        for name, keys in DIMENSIONS.items():
            table = finish(sums[name], keys)
            pq.write_table(
                pa.Table.from_pandas(table, preserve_index=False), agg_dir / f"{name}.parquet"
            )
            agg_rows[name] = len(table)
        manifest = {
            "kind": KIND,
            "model_version": rec.model_version,
            "model_uri": model_uri,
            "framework_version": data_version,
            "as_of": from_days(t0).isoformat().replace("+00:00", "Z"),
            "horizons_days": list(config.horizons),
            "engine": config.engine,
            "weekly_minutes": kernel.scalars["weekly_minutes"],
            "max_steps": config.max_steps,
            "chunk_size": config.chunk_size,
            "learners": kernel.n_learners,
            "skills": kernel.n_skills,
            "rows": {
                "learner_skill": int(n_rows),
                **{f"aggregates/{k}": v for k, v in agg_rows.items()},
            },
            "columns": list(COLUMNS),
            "partitioning": "learner_skill/horizon_days=H/ (hive)",
            **(extra or {}),
        }
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        expected = kernel.n_learners * kernel.n_skills * len(config.horizons)
        if n_rows != expected:
            raise RuntimeError(f"forecast wrote {n_rows} rows, expected {expected}")
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    log.info("forecast: %d rows in %.1fs -> %s", n_rows, seconds, out)
    return ForecastResult(out, manifest, seconds)
