"""``pathfinder fit`` and ``pathfinder recommend``: fit and inspect a model without a server."""

from __future__ import annotations

import time
from pathlib import Path

import click

from pathfinder.cli._app import cli
from pathfinder.config import load_config, load_spec_parts
from pathfinder.data import load_world
from pathfinder.evaluation import evaluate
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest


@cli.command("fit")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Data directory (see `pathfinder validate`).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the model bundle into.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML file whose [model] table sets hyper-parameters.",
)
def fit_cmd(data_dir: Path, out: Path, config_file: Path | None) -> None:
    """Fit the recommender on DATA and save the bundle to OUT."""
    config = load_config(config_file)
    world = load_world(data_dir)
    started = time.perf_counter()
    rec = Recommender(config).fit(world)
    rec.save(out)
    click.echo(
        f"fitted {rec.model_version} on {len(world.learners):,} learners, "
        f"{len(world.catalog):,} items in {time.perf_counter() - started:.1f}s -> {out}"
    )


@cli.command("recommend")
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Model bundle written by `pathfinder fit`.",
)
@click.option("--learner", "learner_id", required=True, help="Learner id.")
@click.option(
    "--goal", "goals", multiple=True, help="Goal skill (repeatable); replaces role targets."
)
@click.option("--exclude", "excluded", multiple=True, help="Item to leave out (repeatable).")
@click.option("--max-steps", type=click.IntRange(1, 50), default=8, show_default=True)
@click.option("--horizon-weeks", type=click.IntRange(1, 52), default=8, show_default=True)
@click.option(
    "--weekly-minutes",
    type=click.IntRange(10, 2400),
    default=None,
    help="Weekly time budget (default: the framework policy).",
)
@click.option("--language", default=None, help="Preferred language (default: the learner's).")
@click.option("--role", default=None, help="Role of a learner unknown to the model.")
@click.option("--region", default=None, help="Region of a learner unknown to the model.")
@click.option("--json", "as_json", is_flag=True, help="Print the response JSON.")
def recommend_cmd(
    model_dir: Path,
    learner_id: str,
    goals: tuple[str, ...],
    excluded: tuple[str, ...],
    max_steps: int,
    horizon_weeks: int,
    weekly_minutes: int | None,
    language: str | None,
    role: str | None,
    region: str | None,
    as_json: bool,
) -> None:
    """Print one learner's path: gaps, then the ordered, scheduled steps with reasons."""
    rec = Recommender.load(model_dir)
    resp = rec.recommend(
        RecommendRequest(
            learner_id=learner_id,
            goal_skills=list(goals),
            exclude_items=list(excluded),
            max_steps=max_steps,
            horizon_weeks=horizon_weeks,
            weekly_minutes=weekly_minutes,
            language=language,
            role=role,
            region=region,
        )
    )
    if as_json:
        click.echo(resp.model_dump_json(indent=2))
        return
    flags = [f for f, on in (("cold start", resp.cold_start), ("DEGRADED", resp.degraded)) if on]
    click.echo(
        f"learner {resp.learner_id}  model {resp.model_version}  framework "
        f"{resp.framework_version}  as of {resp.as_of:%Y-%m-%d}"
        + (f"  [{', '.join(flags)}]" if flags else "")
    )
    click.echo("\ntop gaps")
    click.echo(f"  {'skill':<22}{'current':>8}{'target':>8}{'gap':>7}{'priority':>9}")
    for g in resp.top_gaps:
        click.echo(
            f"  {g.skill:<22}{g.current:>8.2f}{g.target:>8.2f}{g.gap:>7.2f}{g.priority:>9.2f}"
        )
    click.echo("\npath")
    click.echo(f"  {'#':>2} {'wk':>3} {'item':<8} {'modality':<13} {'min':>5} {'lang':<4} reason")
    for s in resp.steps:
        click.echo(
            f"  {s.position:>2} {s.week + 1:>3} {s.item_id:<8} {s.modality:<13} "
            f"{s.duration_min:>5.0f} {s.language:<4} {s.title}: {s.reason}"
        )


@cli.command("evaluate")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Data directory; simulated learning gain needs a generated world's truth/.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML file: [model] hyper-parameters, [evaluation] split settings.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write evaluation.json and evaluation.md here.",
)
def evaluate_cmd(data_dir: Path, config_file: Path | None, out: Path | None) -> None:
    """Temporal-split evaluation of the model against every baseline (Markdown table)."""
    model_cfg, eval_cfg = load_spec_parts(config_file)
    result = evaluate(load_world(data_dir), model_cfg, eval_cfg)
    if out is not None:
        result.write(out)
    click.echo(result.to_markdown())


@cli.command("train")
@click.option(
    "--config",
    "spec_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Experiment spec (TOML), e.g. experiments/baseline.toml.",
)
def train_cmd(spec_file: Path) -> None:
    """Evaluate, log to MLflow and register a model as 'challenger' from an experiment spec."""
    from pathfinder.tracking import configure_tracking, train

    result = train(spec_file)
    uri = configure_tracking()
    click.echo(result.result.to_markdown())
    click.echo(f"MLflow run {result.run_id} (experiment {result.experiment_id}) at {uri}")
    if result.version:
        click.echo(f"registered pathfinder version {result.version} as 'challenger'")
    click.echo(f"view: mlflow ui --backend-store-uri {uri}")


@cli.command("promote")
@click.option("--name", default="pathfinder", show_default=True, help="Registered model name.")
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="Largest NDCG@10 loss accepted for a better simulated learning gain.",
)
def promote_cmd(name: str, tolerance: float) -> None:
    """Move 'champion' to the challenger if it beats the champion; say why either way."""
    from pathfinder.tracking import configure_tracking, promote

    configure_tracking()
    decision = promote(name, tolerance)
    click.echo(("promoted: " if decision.promoted else "kept champion: ") + decision.reason)
