"""``pathfinder generate`` and ``pathfinder validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import click

from pathfinder.cli._app import cli
from pathfinder.data import load_world
from pathfinder.synthetic import SIZES, generate


@cli.command("generate")
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="small",
    show_default=True,
    help="tiny (tests), small (demo), medium (~20k learners), large (~200k learners).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed; the same seed gives byte-identical files.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the world into (created if missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="File format of the tables.",
)
def generate_cmd(size: str, seed: int, out: Path, fmt: Literal["parquet", "csv"]) -> None:
    """Generate a synthetic learning world with a hidden ground truth under OUT/truth/."""
    weeks = SIZES[size].weeks
    with click.progressbar(length=weeks, label=f"simulating {size} world", file=None) as bar:
        manifest = generate(size, seed, out, fmt, progress=lambda done, total: bar.update(1))
    click.echo(f"wrote {out}  (seed {seed}, generator {manifest['generator_version']})")
    for name, rows in manifest["rows"].items():
        click.echo(f"  {name:<12} {rows:>10,} rows")


@cli.command("validate")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def validate_cmd(data_dir: Path, as_json: bool) -> None:
    """Check a data directory against the data contracts; exit 2 with every problem found."""
    world = load_world(data_dir)
    summary = world.summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{data_dir}: valid")
    for key, value in summary.items():
        click.echo(
            f"  {key:<18} {value:>10,}" if isinstance(value, int) else f"  {key:<18} {value:>10}"
        )
