"""The ``pathfinder`` command group: logging set-up and the mapping of errors to exit codes."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from pathfinder.errors import DataValidationError, PathfinderError

EXIT_USAGE = 2


class PathfinderGroup(click.Group):
    """A click group that turns every :class:`PathfinderError` into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DataValidationError as err:
            for issue in err.issues[:50]:
                click.echo(f"error: {issue}", err=True)
            if len(err.issues) > 50:
                click.echo(f"error: ... and {len(err.issues) - 50} more", err=True)
            ctx.exit(EXIT_USAGE)
        except PathfinderError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(EXIT_USAGE)


@click.group(cls=PathfinderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Verbosity of library logs (to stderr).",
)
@click.version_option(package_name="pathfinder")
def cli(log_level: str) -> None:
    """pathfinder: personalised learning paths inside a competency framework."""
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
