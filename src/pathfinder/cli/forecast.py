"""``pathfinder forecast`` and ``pathfinder report``: batch gap forecast and the L&D report."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
import pandas as pd

from pathfinder.cli._app import cli
from pathfinder.data import load_world
from pathfinder.errors import ConfigError

DEFAULT_MODEL = "models:/pathfinder@champion"


def _as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except ValueError as err:
        raise ConfigError(
            f"--as-of {value!r} is not an ISO date or time (e.g. 2025-07-01)"
        ) from err
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def _progress(done: int, total: int, rows: int) -> None:
    end = "\r" if sys.stderr.isatty() and done < total else "\n"
    shown = f", {rows:,} rows" if rows >= 0 else ""
    click.echo(f"forecast: chunk {done}/{total}{shown}", err=True, nl=False)
    click.echo(end, err=True, nl=False)


@cli.command("forecast")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Data directory: framework, catalogue, learners (and events/assessments without --store).",
)
@click.option(
    "--model",
    default=DEFAULT_MODEL,
    show_default=True,
    help="Model bundle directory or MLflow model URI.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Event store URL (sqlite:///events.db, postgresql://...): its events and assessments "
    "update the model, as on the server.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output directory (replaced atomically on rerun).",
)
@click.option(
    "--horizon",
    "horizons",
    type=int,
    multiple=True,
    default=(30, 90, 180),
    show_default=True,
    help="Horizon in days (repeatable).",
)
@click.option("--as-of", default=None, help="Forecast date (default: the model's latest evidence).")
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: pandas/NumPy in this process; spark: Apache Spark (PySpark).",
)
@click.option(
    "--weekly-minutes",
    type=float,
    default=None,
    help="Learning minutes per week on the path (default: the framework policy).",
)
@click.option("--chunk-size", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@click.option("--max-steps", type=click.IntRange(1, 500), default=40, show_default=True)
@click.option(
    "--spark-master",
    default=None,
    help="Spark master for --engine spark (default: PATHFINDER_SPARK_MASTER or local[2]).",
)
@click.option("--no-track", is_flag=True, help="Do not log an MLflow run.")
def forecast_cmd(
    data_dir: Path,
    model: str,
    store_url: str | None,
    out: Path,
    horizons: tuple[int, ...],
    as_of: str | None,
    engine: str,
    weekly_minutes: float | None,
    chunk_size: int,
    max_steps: int,
    spark_master: str | None,
    no_track: bool,
) -> None:
    """Forecast every learner x skill gap at each horizon; write Parquet and aggregates to OUT."""
    from pathfinder.forecast import ForecastConfig, apply_new_evidence, run_forecast
    from pathfinder.service._loader import load_recommender

    config = ForecastConfig.checked(
        list(horizons),
        weekly_minutes=weekly_minutes,
        chunk_size=chunk_size,
        max_steps=max_steps,
        engine=engine,
    )
    when = _as_of(as_of)
    world = load_world(data_dir)
    rec = load_recommender(model)
    if rec.framework_version != world.framework.version:
        raise ConfigError(
            f"model {model} was trained on framework version {rec.framework_version!r} but "
            f"{data_dir}/framework.yaml is version {world.framework.version!r}; retrain on this "
            "framework or point --data at the matching data"
        )
    applied = apply_new_evidence(rec, world, store_url)
    spark = None
    if engine == "spark":
        from pathfinder.forecast import spark_session

        spark = spark_session(spark_master)
    params: dict[str, Any] = {
        "model": model,
        "data": str(data_dir),
        "store": store_url or "",
        **{k: v for k, v in config.model_dump().items() if k != "horizons"},
        "horizons": ",".join(map(str, config.horizons)),
        "as_of": as_of or "model clock",
    }
    if no_track:
        tracking: Any = nullcontext(("", None))
    else:
        from pathfinder.tracking import forecast_run

        tracking = forecast_run(params)
    with tracking as (run_id, finish):
        result = run_forecast(
            rec,
            world,
            config,
            out,
            as_of=when,
            model_uri=model,
            extra={"mlflow_run_id": run_id or None, "evidence_applied": applied},
            progress=_progress,
            spark=spark,
        )
        if finish is not None:
            finish(result)
    m = result.manifest
    click.echo(
        f"forecast of {m['learners']:,} learners x {m['skills']} skills x "
        f"{len(config.horizons)} horizons = {result.rows:,} rows in {result.seconds:.1f}s "
        f"({result.rows / max(result.seconds, 1e-9):,.0f} rows/s, engine {engine}) -> {out}"
    )
    if run_id:
        click.echo(f"MLflow run {run_id} (experiment pathfinder-forecast)")


@cli.command("report")
@click.option(
    "--forecast",
    "forecast_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output directory of `pathfinder forecast`.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="The data directory the forecast read (catalogue, outcomes, events, assessments).",
)
@click.option("--store", "store_url", default=None, help="Read events/assessments from this store.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="HTML file to write; its PNG charts are written beside it.",
)
@click.option("--no-track", is_flag=True, help="Do not log the report to the forecast's run.")
def report_cmd(
    forecast_dir: Path, data_dir: Path, store_url: str | None, out: Path, no_track: bool
) -> None:
    """Write the steering-group HTML report: gaps, priorities, partners, Kirkpatrick L1-L4."""
    from pathfinder.forecast import load_evidence, read_manifest
    from pathfinder.report import build_report

    manifest = read_manifest(forecast_dir)
    world = load_world(data_dir)
    events, assessments = load_evidence(world, store_url)
    result = build_report(forecast_dir, world, events, assessments, out)
    click.echo(f"wrote {result.html} and {len(result.charts)} charts beside it")
    run_id = manifest.get("mlflow_run_id")
    if no_track:
        return
    if not run_id:
        click.echo("forecast has no MLflow run (it ran with --no-track): report not logged")
        return
    from pathfinder.tracking import log_report

    log_report(str(run_id), [result.html, *result.charts.values()])
    click.echo(f"logged to MLflow run {run_id} under report/")
