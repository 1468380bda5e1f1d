"""The ``pathfinder`` command line (thin: parse, configure logging, call the library)."""

from pathfinder.cli import data as _data  # noqa: F401  (registers sub-commands)
from pathfinder.cli import forecast as _forecast  # noqa: F401
from pathfinder.cli import keys as _keys  # noqa: F401
from pathfinder.cli import model as _model  # noqa: F401
from pathfinder.cli._app import cli

main = cli

__all__ = ["cli", "main"]
