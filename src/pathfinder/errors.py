"""The one home of pathfinder's exceptions.

Every error the library raises on purpose is a :class:`PathfinderError`; entry points map them to
exit codes (CLI: 2) or HTTP statuses (server: 4xx). Third-party errors are translated at the
boundary with ``raise ... from err`` so a user never sees a library traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "DataValidationError",
    "EventConflictError",
    "ModelLoadError",
    "NotFittedError",
    "PathfinderError",
    "StatementConflictError",
    "StoreError",
    "StoreUnavailableError",
    "TrainingDataError",
    "UnknownLearnerError",
    "ValidationIssue",
]


class PathfinderError(Exception):
    """Raised for every expected failure inside pathfinder (base class)."""


class ConfigError(PathfinderError):
    """Raised when a configuration or command-line value is invalid."""


class NotFittedError(PathfinderError, ValueError):
    """Raised when a model is used before ``fit`` (or ``load``) gave it learned state."""


class ModelLoadError(PathfinderError):
    """Raised when a saved model directory is missing, corrupt, incomplete or incompatible."""


class TrainingDataError(PathfinderError):
    """Raised when the data is too thin to train a component (e.g. no engagement to rank)."""


class UnknownLearnerError(PathfinderError, KeyError):
    """Raised when a learner id is unknown and no cold-start context (role/region) is given."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ValidationIssue:
    """One precise problem found in a data file.

    Parameters
    ----------
    file : str
        File name (e.g. ``catalog.csv``) or ``framework.yaml``.
    message : str
        What was expected and what was found.
    row : int or None
        1-based data row (the header is not counted), when the problem sits in one row.
    column : str or None
        Column or YAML key path, when the problem sits in one.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            line = f" (line {self.row + 1})" if self.file.endswith(".csv") else ""
            where.append(f"row {self.row}{line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class DataValidationError(PathfinderError):
    """Raised when input data breaks the data contract; carries every issue found."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues = list(issues)
        shown = "\n".join(str(i) for i in self.issues[:50])
        more = len(self.issues) - 50
        if more > 0:
            shown += f"\n... and {more} more"
        super().__init__(shown)


class StoreError(PathfinderError):
    """Raised when the event store refuses or fails an operation (base of the store errors)."""


class StoreUnavailableError(StoreError):
    """Raised when the event store's database cannot be reached, opened or written (HTTP 503)."""


class EventConflictError(StoreError):
    """Raised when an event id is already stored, or repeated in a batch, with different content."""

    def __init__(self, event_ids: Sequence[str]) -> None:
        self.event_ids = list(event_ids)
        shown = ", ".join(self.event_ids[:10])
        more = len(self.event_ids) - 10
        if more > 0:
            shown += f" and {more} more"
        super().__init__(
            f"event id(s) {shown} already stored with different content; events are "
            "immutable, so resend the original content or use a new event_id "
            "(nothing of this batch was stored)"
        )

    def __reduce__(self) -> tuple[type[EventConflictError], tuple[list[str]]]:
        return type(self), (self.event_ids,)


class StatementConflictError(StoreError):
    """Raised when an xAPI statement id is already stored with different content."""

    def __init__(self, statement_id: str) -> None:
        self.statement_id = statement_id
        super().__init__(
            f"xAPI statement {statement_id!r} is already stored with different content; "
            "statements are immutable, so send a new statement id (or void the old statement)"
        )

    def __reduce__(self) -> tuple[type[StatementConflictError], tuple[str]]:
        return type(self), (self.statement_id,)
