"""Rows at the store's boundary: checked and converted once into plain typed tuples."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError, ValidationIssue

__all__ = [
    "ASSESSMENT_COLUMNS",
    "EVENT_COLUMNS",
    "AssessmentRecord",
    "EventRecord",
    "canonical_json",
    "dedupe_events",
    "keyed_hash",
    "to_assessments",
    "to_events",
    "utc",
]

EVENT_COLUMNS: tuple[str, ...] = (
    C.EVENT_ID,
    C.LEARNER_ID,
    C.ITEM_ID,
    C.VERB,
    C.TIMESTAMP,
    C.DURATION_S,
    C.SCORE,
    C.RATING,
)
ASSESSMENT_COLUMNS: tuple[str, ...] = (
    C.LEARNER_ID,
    C.SKILL_ID,
    C.SCORE,
    C.ASSESSED_AT,
    C.METHOD,
)


class EventRecord(NamedTuple):
    """One event in the order of :data:`EVENT_COLUMNS`; equal records have equal content."""

    event_id: str
    learner_id: str
    item_id: str
    verb: str
    timestamp: datetime
    duration_s: float | None
    score: float | None
    rating: float | None

    def as_row(self) -> dict[str, Any]:
        """The record as a data-contract row."""
        return dict(zip(EVENT_COLUMNS, self, strict=True))


class AssessmentRecord(NamedTuple):
    """One assessment in the order of :data:`ASSESSMENT_COLUMNS`."""

    learner_id: str
    skill_id: str
    score: float
    assessed_at: datetime
    method: str


class _Bad(ValueError):
    """Internal: a cell that cannot be converted (turned into a ValidationIssue)."""


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _Bad(f"expected a non-empty string, found {v!r}")
    return v


def _float(v: Any, nullable: bool) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        if nullable:
            return None
        raise _Bad("expected a number, found a missing value")
    if isinstance(v, bool) or not hasattr(v, "__float__"):
        raise _Bad(f"expected a number, found {v!r}")
    out = float(v)
    if math.isnan(out):
        if nullable:
            return None
        raise _Bad("expected a number, found NaN")
    if math.isinf(out):
        raise _Bad(f"expected a finite number, found {v!r}")
    return out


def utc(v: Any) -> datetime:
    """A timezone-aware time as a plain ``datetime`` in UTC, microsecond precision."""
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v)
        except ValueError as err:
            raise _Bad(f"expected an ISO-8601 time, found {v!r}") from err
    if not isinstance(v, datetime):
        raise _Bad(f"expected a timezone-aware datetime, found {v!r}")
    if v.tzinfo is None or v.utcoffset() is None:
        raise _Bad(f"expected a timezone-aware datetime (UTC), found naive {v!r}")
    u = v.astimezone(UTC)
    # rebuild as a plain datetime: drops subclasses (pandas Timestamp) and their nanoseconds
    return datetime(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC)


def _convert(
    table: str, rows: Sequence[Mapping[str, Any]], cols: Sequence[tuple[str, Any]]
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    issues: list[ValidationIssue] = []
    for i, row in enumerate(rows):
        values: list[Any] = []
        for name, conv in cols:
            if name not in row:
                issues.append(ValidationIssue(table, "required column is missing", i + 1, name))
                continue
            try:
                values.append(conv(row[name]))
            except _Bad as err:
                issues.append(ValidationIssue(table, str(err), i + 1, name))
        out.append(tuple(values))
    if issues:
        raise DataValidationError(issues)
    return out


_EVENT_CONVERTERS: tuple[tuple[str, Any], ...] = (
    (C.EVENT_ID, _text),
    (C.LEARNER_ID, _text),
    (C.ITEM_ID, _text),
    (C.VERB, _text),
    (C.TIMESTAMP, utc),
    (C.DURATION_S, lambda v: _float(v, True)),
    (C.SCORE, lambda v: _float(v, True)),
    (C.RATING, lambda v: _float(v, True)),
)
_ASSESSMENT_CONVERTERS: tuple[tuple[str, Any], ...] = (
    (C.LEARNER_ID, _text),
    (C.SKILL_ID, _text),
    (C.SCORE, lambda v: _float(v, False)),
    (C.ASSESSED_AT, utc),
    (C.METHOD, _text),
)


def to_events(rows: Sequence[Mapping[str, Any]]) -> list[EventRecord]:
    """Check and convert event rows (extra keys are ignored).

    Raises
    ------
    DataValidationError
        Naming the row (1-based) and column of every missing or ill-typed value.
    """
    return [EventRecord(*t) for t in _convert("events", rows, _EVENT_CONVERTERS)]


def to_assessments(rows: Sequence[Mapping[str, Any]]) -> list[AssessmentRecord]:
    """Check and convert assessment rows (extra keys are ignored); see :func:`to_events`."""
    return [AssessmentRecord(*t) for t in _convert("assessments", rows, _ASSESSMENT_CONVERTERS)]


def dedupe_events(events: Sequence[EventRecord]) -> tuple[list[EventRecord], int, list[str]]:
    """Collapse repeats inside a batch.

    Returns
    -------
    unique : list of EventRecord
        First occurrence of each id, in batch order.
    repeats : int
        Rows that repeated an earlier row of the batch exactly.
    conflicts : list of str
        Ids repeated in the batch with different content.
    """
    first: dict[str, EventRecord] = {}
    repeats = 0
    conflicts: dict[str, None] = {}
    for ev in events:
        seen = first.get(ev.event_id)
        if seen is None:
            first[ev.event_id] = ev
        elif seen == ev:
            repeats += 1
        else:
            conflicts[ev.event_id] = None
    return list(first.values()), repeats, list(conflicts)


def canonical_json(raw: Mapping[str, Any]) -> str:
    """Canonical JSON text of a statement (sorted keys, no spaces) for storage and comparison."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def keyed_hash(salt: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under ``salt``, hex; logs an erased id without keeping it."""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()
