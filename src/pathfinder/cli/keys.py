"""``pathfinder keys create``: add an API key to a key file (the key is printed once)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pathfinder.cli._app import cli
from pathfinder.errors import ConfigError
from pathfinder.service import ApiKeys, new_key


@cli.group("keys")
def keys_group() -> None:
    """Manage the server's API keys (stored hashed)."""


@keys_group.command("create")
@click.option("--id", "key_id", required=True, help="Key id (the user name for HTTP Basic).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["read", "write", "admin"]),
    help="Scope (repeatable).",
)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Key file (JSON) to create or extend.",
)
def create_cmd(key_id: str, scopes: tuple[str, ...], path: Path) -> None:
    """Create a key, store only its hash in FILE, print the key on stdout."""
    records = ApiKeys.from_file(path).records if path.exists() else []
    if any(r.id == key_id for r in records):
        raise ConfigError(f"{path} already has a key with id '{key_id}'")
    key, record = new_key(key_id, tuple(scopes))  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([r.model_dump() for r in [*records, record]], indent=2) + "\n", encoding="utf-8"
    )
    click.echo(key)
