"""Evidence for the forecast and the report: the data directory's tables or the event store's."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.history import days
from pathfinder.online import StoreFollower, rows_frame
from pathfinder.recommender import Recommender
from pathfinder.store import EventStore, open_store

__all__ = ["apply_new_evidence", "load_evidence"]

_BATCH = 50_000


def _read_all(store: EventStore, kind: str) -> pd.DataFrame:
    read = store.events_since if kind == "events" else store.assessments_since
    rows: list[dict[str, Any]] = []
    cursor = 0
    while True:
        batch, cursor = read(cursor, _BATCH)
        rows.extend(batch)
        if len(batch) < _BATCH:
            return rows_frame(rows, kind)


def load_evidence(world: World, store_url: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, assessments): the event store's rows when ``store_url`` is given, else the
    data directory's tables."""
    if store_url is None:
        return world.events, world.assessments
    store = open_store(store_url)
    try:
        return _read_all(store, "events"), _read_all(store, "assessments")
    finally:
        store.close()


def apply_new_evidence(rec: Recommender, world: World, store_url: str | None) -> dict[str, int]:
    """Bring ``rec`` up to date through its online updates, as a server worker does at start.

    With a store, everything it holds is applied (evidence the model was trained on is skipped
    by the model) and learners erased in it are forgotten; without, the data directory's rows
    later than the latest evidence the model has seen. Returns the rows applied per kind.
    """
    if store_url is not None:
        store = open_store(store_url)
        try:
            return StoreFollower(store).catch_up(rec)
        finally:
            store.close()
    events, assessments = world.events, world.assessments
    clock = rec.clock_
    applied = {"events": 0, "assessments": 0, "erased": 0}
    new_events = events[days(events[C.TIMESTAMP]) > clock]
    new_assessments = assessments[days(assessments[C.ASSESSED_AT]) > clock]
    if len(new_events):
        applied["events"] = rec.observe_events(new_events)
    if len(new_assessments):
        applied["assessments"] = rec.observe_assessments(new_assessments)
    return applied
