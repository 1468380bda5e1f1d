"""SQLite backend: one file in WAL mode, ``synchronous=FULL``, safe for several processes."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pathfinder.errors import ConfigError, StoreUnavailableError
from pathfinder.store._pool import Pool
from pathfinder.store._sql import TABLES, SqlEventStore, Tx

__all__ = ["SqliteEventStore"]

MIN_SQLITE = (3, 35, 0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

_DDL = """
CREATE TABLE IF NOT EXISTS {events} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    verb TEXT NOT NULL,
    "timestamp" INTEGER NOT NULL,
    duration_s REAL,
    score REAL,
    rating REAL
);
CREATE INDEX IF NOT EXISTS {p}events_learner ON {events} (learner_id);
CREATE TABLE IF NOT EXISTS {assessments} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL,
    skill_id TEXT NOT NULL,
    score REAL NOT NULL,
    assessed_at INTEGER NOT NULL,
    method TEXT NOT NULL,
    statement_id TEXT
);
CREATE INDEX IF NOT EXISTS {p}assessments_learner ON {assessments} (learner_id);
CREATE TABLE IF NOT EXISTS {statements} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id TEXT NOT NULL UNIQUE,
    learner_id TEXT,
    item_id TEXT,
    verb TEXT,
    flags TEXT NOT NULL,
    raw TEXT NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}statements_learner ON {statements} (learner_id);
CREATE TABLE IF NOT EXISTS {erasures} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    learner_hash TEXT NOT NULL,
    erased_at INTEGER NOT NULL,
    events INTEGER NOT NULL,
    assessments INTEGER NOT NULL,
    statements INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS {meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class _SqliteTx:
    """:class:`Tx` over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount


def _close(conn: sqlite3.Connection) -> None:
    with suppress(sqlite3.Error):
        conn.close()


class SqliteEventStore(SqlEventStore):
    """Event store in one SQLite file (the embedded default).

    WAL journal, ``synchronous=FULL`` (a commit is on disk when a write returns) and a busy
    timeout, so several threads and processes can share the file; writers take the write lock
    up front (``BEGIN IMMEDIATE``) and hold it for one short transaction.

    Parameters
    ----------
    path : str or Path
        Database file; created with its parent directories when missing.
    namespace : str, optional
        Prefix of every table name (``{namespace}_events``), to isolate tests.
    pool_size : int
        Maximum number of open connections.
    busy_timeout_s : float
        How long a statement waits for another process's lock before the store counts as
        unavailable.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        namespace: str | None = None,
        pool_size: int = 8,
        busy_timeout_s: float = 10.0,
    ) -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise ConfigError(
                f"the SQLite event store needs SQLite >= 3.35 (RETURNING), this Python links "
                f"{sqlite3.sqlite_version}; upgrade Python/SQLite or use PostgreSQL"
            )
        self.path = Path(path)
        self._prefix = f"{namespace}_" if namespace else ""
        self._busy_ms = int(busy_timeout_s * 1000)
        self._pool: Pool[sqlite3.Connection] = Pool(
            self._connect, _close, pool_size, discard_on=(sqlite3.Error,)
        )
        with self._translated():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction(write=True) as tx:
            ddl = _DDL.format(p=self._prefix, **{t: self._table(t) for t in TABLES})
            for statement in ddl.split(";"):
                if statement.strip():
                    tx.run(statement)
        self._init_meta(secrets.token_hex(16))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_ms / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed on disk
        except BaseException:
            conn.close()
            raise
        return conn

    def _table(self, name: str) -> str:
        return f'"{self._prefix}{name}"'

    def _ts_in(self, value: datetime) -> Any:
        return (value - _EPOCH) // _US

    def _ts_out(self, value: Any) -> datetime:
        return _EPOCH + timedelta(microseconds=int(value))

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise
        except (sqlite3.DatabaseError, OSError) as err:
            raise StoreUnavailableError(
                f"event store unavailable (SQLite file {str(self.path)!r}): {err}; check the "
                "path exists and is writable and the disk is not full"
            ) from err

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        with self._translated(), self._pool.connection() as conn:
            if not write:
                yield _SqliteTx(conn)
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def erase_learner(self, learner_id: str) -> dict[str, int]:
        counts = super().erase_learner(learner_id)
        # older write-ahead-log frames still hold the erased rows: fold the log into the
        # database file (where secure_delete zeroed them) and empty it, so no copy stays on disk
        with self._translated(), self._pool.connection() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    def drop_all(self) -> None:
        with self._transaction(write=True) as tx:
            for name in TABLES:
                tx.run(f"DROP TABLE IF EXISTS {self._table(name)}")
        self.close()

    def close(self) -> None:
        self._pool.close()
