"""A small lock-protected connection pool shared by the SQL backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from pathfinder.errors import StoreUnavailableError

__all__ = ["Pool"]

ConnT = TypeVar("ConnT")


class Pool(Generic[ConnT]):
    """Lend connections to one thread at a time; open them lazily, at most ``size`` at once.

    Parameters
    ----------
    connect : callable
        Opens a new connection (errors propagate to the borrower).
    close : callable
        Closes a connection, ignoring its errors.
    size : int
        Maximum number of open connections.
    discard_on : tuple of exception types
        A borrowed connection whose block raised one of these is closed instead of reused
        (driver errors: the connection may be broken).
    timeout_s : float
        How long a borrower waits for a free connection before the store counts as unavailable.
    """

    def __init__(
        self,
        connect: Callable[[], ConnT],
        close: Callable[[ConnT], None],
        size: int,
        discard_on: tuple[type[BaseException], ...],
        timeout_s: float = 30.0,
    ) -> None:
        self._connect = connect
        self._discard_on = discard_on
        self._close = close
        self._size = size
        self._timeout_s = timeout_s
        self._idle: list[ConnT] = []
        self._open = 0
        self._closed = False
        self._cond = threading.Condition()

    def _take(self) -> ConnT | None:
        """An idle connection, or None when the caller may open a new one (slot reserved)."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self._closed or self._idle or self._open < self._size, self._timeout_s
            )
            if self._closed:
                raise StoreUnavailableError("the event store is closed; open a new one")
            if not ok:
                raise StoreUnavailableError(
                    f"no free event-store connection within {self._timeout_s:g} s "
                    f"({self._size} in use); raise pool_size or lower the load"
                )
            if self._idle:
                return self._idle.pop()
            self._open += 1
            return None

    def _give_back(self, conn: ConnT | None, healthy: bool) -> None:
        with self._cond:
            if conn is not None and healthy and not self._closed:
                self._idle.append(conn)
                conn = None
            else:
                self._open -= 1
            self._cond.notify()
        if conn is not None:
            self._close(conn)

    @contextmanager
    def connection(self) -> Iterator[ConnT]:
        """Borrow a connection; it is discarded when the block raises a ``discard_on`` error."""
        conn = self._take()
        healthy = False
        try:
            if conn is None:
                conn = self._connect()
            yield conn
            healthy = True
        except BaseException as exc:
            healthy = isinstance(exc, Exception) and not isinstance(exc, self._discard_on)
            raise
        finally:
            self._give_back(conn, healthy)

    def discard_idle(self) -> None:
        """Close every idle connection (after a failure of the database: likely broken too)."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            self._close(conn)

    def close(self) -> None:
        """Close idle connections now and borrowed ones when they come back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            self._close(conn)
