"""PostgreSQL backend (production): psycopg 3, one schema per namespace."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pathfinder.errors import StoreUnavailableError
from pathfinder.store._guard import Breaker, Watchdog
from pathfinder.store._pool import Pool
from pathfinder.store._sql import SqlEventStore, Tx

__all__ = ["PostgresEventStore"]

DEFAULT_SCHEMA = "pathfinder"

_DDL = """
CREATE TABLE IF NOT EXISTS {s}.events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    verb TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    duration_s DOUBLE PRECISION,
    score DOUBLE PRECISION,
    rating DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS events_learner ON {s}.events (learner_id);
CREATE TABLE IF NOT EXISTS {s}.assessments (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assessment_id TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL,
    skill_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    assessed_at TIMESTAMPTZ NOT NULL,
    method TEXT NOT NULL,
    statement_id TEXT
);
CREATE INDEX IF NOT EXISTS assessments_learner ON {s}.assessments (learner_id);
CREATE TABLE IF NOT EXISTS {s}.statements (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id TEXT NOT NULL UNIQUE,
    learner_id TEXT,
    item_id TEXT,
    verb TEXT,
    flags TEXT NOT NULL,
    raw TEXT NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_learner ON {s}.statements (learner_id);
CREATE TABLE IF NOT EXISTS {s}.erasures (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    learner_hash TEXT NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL,
    events INTEGER NOT NULL,
    assessments INTEGER NOT NULL,
    statements INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Driver errors that mean "the database cannot serve us now": connection, server, resources,
#: and a database that lost (or never let us create) the store's tables.
_UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.errors.InsufficientPrivilege,
    psycopg.errors.UndefinedTable,
    psycopg.errors.InvalidSchemaName,
)


class _PgTx:
    """:class:`Tx` over a psycopg connection (``?`` placeholders become ``%s``)."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql.replace("?", "%s"), params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql.replace("?", "%s"), params).rowcount


def _close(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    with suppress(psycopg.Error):
        conn.close()


class PostgresEventStore(SqlEventStore):
    """Event store in a PostgreSQL database (production).

    Every write transaction first takes a transaction-level advisory lock of its schema, so
    writers of all processes commit one at a time and sequence numbers become visible in
    order (a poller of :meth:`events_since` never skips a row that commits late). A batch of
    100 events is one short transaction, so this costs little throughput.

    Parameters
    ----------
    url : str
        libpq connection URL, e.g. ``postgresql://postgres@127.0.0.1:5432/test``.
    namespace : str, optional
        PostgreSQL schema holding the tables (default ``pathfinder``); created when missing.
    pool_size : int
        Maximum number of open connections.
    connect_timeout_s : int
        Seconds to wait for a connection before the store counts as unavailable.
    io_timeout_s : float
        Longest one store call may wait on the database (a hung server, a network that drops
        packets); past it the connection is cut and the call raises StoreUnavailableError.
    retry_after_s : float
        After a new connection failed or a call hung past ``io_timeout_s``, calls fail at once
        for this long; then one call at a time probes whether the database is back. (A pooled
        connection found broken only discards the idle ones: the next call connects afresh.)
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str | None = None,
        pool_size: int = 8,
        connect_timeout_s: int = 5,
        io_timeout_s: float = 5.0,
        retry_after_s: float = 1.0,
    ) -> None:
        self._url = url
        self.schema = namespace or DEFAULT_SCHEMA
        self._where = self._describe(url)
        self._connect_kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": connect_timeout_s,
        }
        if "application_name" not in conninfo_to_dict(url):  # name it in pg_stat_activity
            self._connect_kwargs["application_name"] = f"pathfinder-store:{self.schema}"
        digest = hashlib.sha256(f"pathfinder.store:{self.schema}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._watchdog = Watchdog(io_timeout_s)
        self._breaker = Breaker(retry_after_s, max(io_timeout_s, connect_timeout_s), self._where)
        self._pool: Pool[psycopg.Connection[tuple[Any, ...]]] = Pool(
            self._connect, _close, pool_size, discard_on=(psycopg.Error,)
        )
        with self._transaction(write=True) as tx:
            tx.run(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            for statement in _DDL.format(s=f'"{self.schema}"').split(";"):
                if statement.strip():
                    tx.run(statement)
        self._init_meta(secrets.token_hex(16))

    @staticmethod
    def _describe(url: str) -> str:
        """Host, port and database of ``url`` for messages (never the password)."""
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error:
            return "PostgreSQL (unparsable URL)"
        host, port, db = info.get("host", "?"), info.get("port", "5432"), info.get("dbname", "?")
        return f"PostgreSQL at {host}:{port}/{db}"

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return psycopg.connect(self._url, **self._connect_kwargs)
        except psycopg.OperationalError:
            self._breaker.failed()  # the database is down or unreachable, not just one link
            raise

    def _table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def _ts_in(self, value: datetime) -> Any:
        return value

    def _ts_out(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamptz value, got {value!r}")
        return value.astimezone(UTC)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        self._breaker.admit()
        cut = False
        try:
            with self._pool.connection() as conn:
                token = self._watchdog.arm(conn.pgconn.socket)
                try:
                    if not write:
                        yield _PgTx(conn)
                    else:
                        with conn.transaction():
                            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
                            yield _PgTx(conn)
                finally:
                    cut = not self._watchdog.disarm(token)
        except _UNAVAILABLE as err:
            if cut:
                self._breaker.failed()
            self._pool.discard_idle()  # they went through the same failure: likely broken too
            reason = f"no answer within {self._watchdog.timeout_s:g} s" if cut else str(err)
            raise StoreUnavailableError(
                f"event store unavailable ({self._where}): {reason}; check the server is up "
                "and the URL, then retry"
            ) from err
        self._breaker.succeeded()

    def drop_all(self) -> None:
        with self._transaction(write=True) as tx:
            tx.run(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.close()

    def close(self) -> None:
        self._pool.close()
