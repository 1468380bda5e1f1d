"""The durable event store: events, assessments and xAPI statements (DESIGN §3, §7, §8).

One interface, :class:`EventStore`, two backends chosen by URL with :func:`open_store`:
SQLite (embedded default) and PostgreSQL (production).
"""

from pathfinder.store._base import AppendResult, EventStore, StatementWrite
from pathfinder.store._factory import open_store
from pathfinder.store._rows import ASSESSMENT_COLUMNS, EVENT_COLUMNS

__all__ = [
    "ASSESSMENT_COLUMNS",
    "EVENT_COLUMNS",
    "AppendResult",
    "EventStore",
    "StatementWrite",
    "open_store",
]
