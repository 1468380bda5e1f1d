"""A loopback TCP proxy that can cut the link to a database on demand (store-outage faults)."""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import suppress
from typing import Literal

__all__ = ["TcpProxy"]

Mode = Literal["open", "refuse", "blackhole"]
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset


def _reset(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv on it
    with suppress(OSError):
        sock.close()


class TcpProxy:
    """Forward ``127.0.0.1:port`` to ``upstream``; :meth:`cut` and :meth:`restore` the link.

    Fault modes of :meth:`cut`:

    ``"refuse"``
        The database went away: open connections are reset and new ones are refused.
    ``"blackhole"``
        The network drops packets: open connections go silent (nothing is forwarded, nothing is
        closed) and new connections are accepted but never answered.

    Parameters
    ----------
    upstream_host, upstream_port
        Where connections are forwarded (e.g. PostgreSQL on 127.0.0.1:5432).
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "open"
        self.accepted = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._held: list[socket.socket] = []
        self._flowing = threading.Event()
        self._flowing.set()
        self._stopped = False
        first = self._listen(0)
        self._listener: socket.socket | None = first
        self.port: int = first.getsockname()[1]
        self.url_host = f"127.0.0.1:{self.port}"
        self._start_acceptor()

    # -- control ------------------------------------------------------------------------------

    def cut(self, mode: Literal["refuse", "blackhole"] = "refuse") -> None:
        """Break the link (see the class docstring for the modes)."""
        with self._lock:
            self.mode = mode
            self.cuts += 1
            if mode == "blackhole":
                self._flowing.clear()
                return
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
        if listener is not None:
            _reset(listener)
        for client, server in pairs:
            _reset(client)
            _reset(server)

    def restore(self) -> None:
        """Forward again: new connections reach the upstream (silent ones are reset first)."""
        with self._lock:
            if self.mode == "open":
                return
            held, self._held = self._held, []
            pairs = self._pairs if self.mode == "blackhole" else []
            if self.mode == "blackhole":
                self._pairs = []
            reopen = self._listener is None
            self.mode = "open"
        for sock in held:
            _reset(sock)
        for client, server in pairs:  # their protocol state is lost: the client must reconnect
            _reset(client)
            _reset(server)
        self._flowing.set()
        if reopen:
            with self._lock:
                self._listener = self._listen(self.port)
            self._start_acceptor()

    def close(self) -> None:
        """Stop listening and reset every connection."""
        with self._lock:
            self._stopped = True
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
            held, self._held = self._held, []
        self._flowing.set()
        if listener is not None:
            _reset(listener)
        for sock in held:
            _reset(sock)
        for client, server in pairs:
            _reset(client)
            _reset(server)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        return sock

    def _start_acceptor(self) -> None:
        listener = self._listener
        assert listener is not None
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed by cut() or close()
                return
            with self._lock:
                self.accepted += 1
                if self._stopped:
                    _reset(client)
                    return
                if self.mode == "blackhole":
                    self._held.append(client)
                    continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            self._flowing.wait()  # black hole: hold the bytes, forward nothing
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        with self._lock:
            self._pairs = [p for p in self._pairs if src not in p]
        _reset(src)
        _reset(dst)
