"""Evidence for the forecast and the report: the data directory's tables or the event store's."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.history import days
from pathfinder.recommender import Recommender
from pathfinder.store import open_store

__all__ = ["apply_new_evidence", "load_evidence"]

_EVENT_COLS = (
    C.EVENT_ID,
    C.LEARNER_ID,
    C.ITEM_ID,
    C.VERB,
    C.TIMESTAMP,
    C.DURATION_S,
    C.SCORE,
    C.RATING,
)
_ASSESS_COLS = (C.LEARNER_ID, C.SKILL_ID, C.SCORE, C.ASSESSED_AT, C.METHOD)
_BATCH = 50_000


def _read_all(store: Any, kind: str) -> list[dict[str, Any]]:
    read = store.events_since if kind == "events" else store.assessments_since
    rows: list[dict[str, Any]] = []
    cursor = 0
    while True:
        batch, cursor = read(cursor, _BATCH)
        rows.extend(batch)
        if len(batch) < _BATCH:
            return rows


def _frame(rows: list[dict[str, Any]], cols: tuple[str, ...], time_col: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(cols))
    frame[time_col] = pd.to_datetime(frame[time_col], utc=True)
    for col in (C.DURATION_S, C.SCORE, C.RATING):
        if col in frame.columns:
            frame[col] = frame[col].astype(float)
    return frame


def load_evidence(world: World, store_url: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, assessments): the event store's rows when ``store_url`` is given, else the
    data directory's tables."""
    if store_url is None:
        return world.events, world.assessments
    store = open_store(store_url)
    try:
        events = _frame(_read_all(store, "events"), _EVENT_COLS, C.TIMESTAMP)
        assessments = _frame(_read_all(store, "assessments"), _ASSESS_COLS, C.ASSESSED_AT)
    finally:
        store.close()
    return events, assessments


def apply_new_evidence(rec: Recommender, world: World, store_url: str | None) -> dict[str, int]:
    """Bring ``rec`` up to date through its online updates, as the server does.

    With a store, every stored event and assessment is applied (the store holds what arrived
    after training, exactly what a server worker replays at start); without, the data
    directory's rows later than the latest evidence the model has seen.
    """
    events, assessments = load_evidence(world, store_url)
    if store_url is None:
        clock = rec.clock_
        events = events[days(events[C.TIMESTAMP]) > clock]
        assessments = assessments[days(assessments[C.ASSESSED_AT]) > clock]
    if len(events):
        rec.observe_events(events)
    if len(assessments):
        rec.observe_assessments(assessments)
    return {"events": len(events), "assessments": len(assessments)}
