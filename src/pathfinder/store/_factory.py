"""Open an event store by URL: ``sqlite:///path.db`` or ``postgresql://...``."""

from __future__ import annotations

import re

from pathfinder.errors import ConfigError
from pathfinder.store._base import EventStore

__all__ = ["open_store"]

_NAMESPACE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def open_store(url: str, *, namespace: str | None = None, pool_size: int = 8) -> EventStore:
    """Open (and create when missing) the event store at ``url``.

    Parameters
    ----------
    url : str
        ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (embedded default), or
        ``postgresql://user@host:port/db`` (also ``postgres://`` and ``postgresql+psycopg://``).
    namespace : str, optional
        Isolates a store inside one database: a table-name prefix (SQLite) or a schema
        (PostgreSQL, default ``pathfinder``). Lower-case letters, digits and ``_``.
    pool_size : int
        Maximum number of database connections the store holds (threads share them).

    Returns
    -------
    EventStore
        The open store; its tables exist.

    Raises
    ------
    ConfigError
        When the URL scheme or the namespace is not supported.
    StoreUnavailableError
        When the database cannot be reached, opened or written.
    """
    if namespace is not None and not _NAMESPACE.match(namespace):
        raise ConfigError(
            f"event-store namespace {namespace!r} is invalid; use 1-41 lower-case letters, "
            "digits or '_', starting with a letter or '_' (e.g. 't_abc')"
        )
    if pool_size < 1:
        raise ConfigError(f"event-store pool_size must be >= 1, got {pool_size}")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else ""
        if not path or path == ":memory:" or path.startswith("file:"):
            raise ConfigError(
                f"event-store URL {url!r} names no database file; expected sqlite:///path.db "
                "(relative) or sqlite:////abs/path.db (in-memory databases are not durable)"
            )
        from pathfinder.store._sqlite import SqliteEventStore

        return SqliteEventStore(path, namespace=namespace, pool_size=pool_size)
    if sep and scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        from pathfinder.store._postgres import PostgresEventStore

        return PostgresEventStore(f"postgresql://{rest}", namespace=namespace, pool_size=pool_size)
    shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)  # hide a password
    raise ConfigError(
        f"event-store URL {shown!r} is not supported; expected sqlite:///path/to/events.db or "
        "postgresql://user@host:5432/dbname"
    )
