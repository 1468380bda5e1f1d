"""Keep a server's database calls bounded when the database hangs or the network drops packets.

A :class:`Watchdog` cuts the socket of a call that outlives its deadline (the driver then fails
the call as a lost connection); a :class:`Breaker` fails calls at once for a short while after the
database was found unavailable, letting one caller at a time probe whether it is back. Together
they turn "every request hangs until TCP gives up" into fast 503s for writes, and reads that go
on serving the model's last state.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import suppress

from pathfinder.errors import StoreUnavailableError

__all__ = ["Breaker", "Watchdog"]

_IDLE_EXIT_S = 30.0  # the watchdog thread ends after this long with no call in flight


def _cut(fd: int) -> None:
    """Shut a socket down (both ways) from another thread; its blocked reader sees EOF."""
    with suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


class Watchdog:
    """Cuts the connection of any database call still running ``timeout_s`` after it started.

    Parameters
    ----------
    timeout_s : float
        Longest a call may take.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.fired = 0
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, int]] = {}  # token -> (deadline, socket fd)
        self._next = 0
        self._thread: threading.Thread | None = None

    def arm(self, fd: int) -> int:
        """Start the clock for a call on socket ``fd``; returns the token for :meth:`disarm`."""
        with self._cond:
            token = self._next
            self._next += 1
            self._armed[token] = (time.monotonic() + self.timeout_s, fd)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pathfinder-store-watchdog", daemon=True
                )
                self._thread.start()
            elif len(self._armed) == 1:
                self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """The call ended; returns False when the watchdog had already cut its connection.

        Call it before the connection is closed or reused, so that ``fd`` is still its socket.
        """
        with self._cond:
            return self._armed.pop(token, None) is not None

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, fd) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        self.fired += 1
                        _cut(fd)
                if not self._armed:
                    self._cond.wait(_IDLE_EXIT_S)
                    if not self._armed:
                        self._thread = None  # the next arm() starts another
                        return
                    continue
                soonest = min(d for d, _ in self._armed.values())
                self._cond.wait(max(0.0, soonest - now))


class Breaker:
    """Fail fast for ``cooldown_s`` after the database could not be reached; then probe, one call
    at a time.

    Parameters
    ----------
    cooldown_s : float
        How long calls fail at once after a failure.
    probe_s : float
        How long other calls keep failing while one caller probes (its own deadline).
    where : str
        The database, for messages.
    """

    def __init__(self, cooldown_s: float, probe_s: float, where: str) -> None:
        self.cooldown_s = cooldown_s
        self.probe_s = probe_s
        self.where = where
        self.tripped = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def admit(self) -> None:
        """Let a call through, or raise StoreUnavailableError while the database counts as down."""
        if not self._down_until:  # the common case: no lock
            return
        with self._lock:
            now = time.monotonic()
            if not self._down_until:
                return
            if now < self._down_until:
                raise StoreUnavailableError(
                    f"event store unavailable ({self.where}): it could not be reached less "
                    f"than {self.cooldown_s:g} s ago; retry shortly"
                )
            self._down_until = now + self.probe_s  # this caller probes; the others fail fast

    def succeeded(self) -> None:
        if self._down_until:
            with self._lock:
                self._down_until = 0.0

    def failed(self) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.cooldown_s
            self.tripped += 1
