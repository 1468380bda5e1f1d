"""The model in a process of its own, beside the HTTP worker that owns the requests.

A recommend spends about as much CPU in the model (~2.5 ms of Python and LightGBM) as in the HTTP
framework (parsing, auth, middleware, sending). In one process both hold the same interpreter
lock, so a worker used one core however many the machine had. :class:`ProcessCore` keeps the HTTP
side (writes, xAPI, auth, the degraded fallback) in the worker and runs store sync + model in a
child process with its own copy of the model and its own store connection: two cores per worker.

The child is a plain in-process :class:`~pathfinder.service._core.ServiceCore`: it catches up with
the store before each call, exactly as an in-process model does, so acknowledged writes, erasures
and assessments reach it with no other channel. The two talk over a socket pair in length-prefixed
frames, read and written by the worker's event loop itself (no helper thread: a thread would wait
for the interpreter lock behind the event loop and leave the child idle between calls), so calls
are pipelined: the child always has the next request waiting. The response body crosses as the
JSON the client receives and is never parsed in the worker.

Failures: a request error (unknown learner, unknown goal skill) comes back as that error; a model
error, a call past the deadline, a dead child or a child that is still loading give the worker's
degraded fallback. A dead child is replaced in the background at the next call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import multiprocessing
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pathfinder import errors
from pathfinder.errors import ModelLoadError, PathfinderError
from pathfinder.recommender import Recommender
from pathfinder.schemas import RecommendRequest, RecommendResponse
from pathfinder.service._core import ServiceCore
from pathfinder.store import EventStore, open_store

__all__ = ["ModelProcess", "ProcessCore"]

log = logging.getLogger(__name__)

#: Seconds the child may take to load a model (an MLflow download is done by the worker first).
LOAD_TIMEOUT_S = 600.0
#: Calls waiting for the child beyond which new calls get the fallback at once.
MAX_PENDING = 256
#: A child that has answered nothing for this long is hung: it is killed and replaced.
HUNG_AFTER_S = 10.0
#: Pause before restarting a child after a failed restart (doubling up to the maximum).
RESTART_BACKOFF_S = 1.0
MAX_RESTART_BACKOFF_S = 60.0

# frame: body length, call id, op (worker -> child) or status (child -> worker), then the body
_FRAME = struct.Struct("!IQB")
_READY, _RECOMMEND, _FORGET = 0, 1, 2
_OK, _REQUEST_ERROR, _FAILED = 0, 1, 2


class ModelUnavailable(Exception):
    """The child cannot take the call now (loading, restarting, too far behind): fall back."""


def _frame(call_id: int, code: int, body: bytes) -> bytes:
    return _FRAME.pack(len(body), call_id, code) + body


# ---------------------------------------------------------------------- in the child process
def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _child_load(bundle: str, store_url: str, namespace: str | None) -> ServiceCore:
    from pathfinder.service._loader import settle_heap

    rec = Recommender.load(Path(bundle))
    core = ServiceCore(rec, open_store(store_url, namespace=namespace))
    if rec.registry_.ids:
        core.warm_up(rec.registry_.ids[0])
    settle_heap()
    return core


def _child_call(core: ServiceCore, op: int, body: bytes) -> tuple[int, bytes]:
    try:
        if op == _RECOMMEND:
            response = core.sync_and_recommend(RecommendRequest.model_validate_json(body))
            return _OK, bytes([response.degraded]) + response.model_dump_json().encode()
        if op == _FORGET:
            core.forget(body.decode())
            return _OK, b""
        raise ValueError(f"unknown op {op}")
    except PathfinderError as err:
        error = {"type": type(err).__name__, "message": str(err)}
        return _REQUEST_ERROR, json.dumps(error).encode()
    except Exception as err:  # reported to the worker, which logs it and falls back
        return _FAILED, repr(err).encode()


def _child_main(sock: socket.socket, args: tuple[str, str, str | None], level: int) -> None:
    """Load, report ready (or why not), then answer calls in order until the worker goes."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s [model process] %(message)s")
    try:
        core = _child_load(*args)
    except Exception as err:
        sock.sendall(_frame(0, _FAILED, f"{type(err).__name__}: {err}".encode()))
        return
    sock.sendall(_frame(0, _OK, core.recommender.model_version.encode()))
    try:
        while True:
            n, call_id, op = _FRAME.unpack(_recv_exact(sock, _FRAME.size))
            status, out = _child_call(core, op, _recv_exact(sock, n))
            sock.sendall(_frame(call_id, status, out))
    except (EOFError, ConnectionError):  # the worker closed the socket or exited
        return


# ---------------------------------------------------------------------- in the worker
class ModelProcess:
    """The child process holding the model, and the worker's end of its socket.

    Parameters
    ----------
    bundle : Path
        Local bundle directory (the worker resolved any MLflow URI already).
    store_url, namespace : str, str or None
        The event store the child follows.

    The child starts loading at once (beside the worker's own load); :meth:`wait_loaded` checks
    that both loaded the same model.
    """

    def __init__(self, bundle: Path, store_url: str, namespace: str | None) -> None:
        self._args = (str(bundle), store_url, namespace)
        self.version = ""
        self._ids = itertools.count(1)
        # call id -> (future, loop time sent); insertion order = oldest first
        self._pending: dict[int, tuple[asyncio.Future[tuple[int, bytes]], float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._connecting = asyncio.Lock()
        self._sock: socket.socket | None = None  # a loaded child's socket, not yet connected
        self._life = threading.Lock()  # spawn, restart and close, one at a time
        self._restarting = False
        self._next_restart = 0.0
        self._backoff = RESTART_BACKOFF_S
        self._closed = False
        with self._life:
            self._spawn()

    def _spawn(self) -> None:
        """Start a child (``_life`` held); its socket waits in ``_booting`` until it is loaded."""
        mine, theirs = socket.socketpair()
        ctx = multiprocessing.get_context("spawn")
        level = logging.getLogger("pathfinder").getEffectiveLevel()
        proc = ctx.Process(
            target=_child_main, args=(theirs, self._args, level), name="pathfinder-model"
        )
        proc.daemon = True
        proc.start()
        theirs.close()
        self._proc, self._booting = proc, mine

    def wait_loaded(self, version: str | None = None, timeout_s: float = LOAD_TIMEOUT_S) -> None:
        """Block until the child serves; :class:`ModelLoadError` if it could not load or loaded
        another model version than ``version`` (the bundle changed between two loads). A child
        that failed is stopped."""
        sock = self._booting
        try:
            sock.settimeout(timeout_s)
            n, _, status = _FRAME.unpack(_recv_exact(sock, _FRAME.size))
            message = _recv_exact(sock, n).decode()
            if status != _OK:
                raise ModelLoadError(f"the model process could not load the model: {message}")
            if version is not None and message != version:
                raise ModelLoadError(
                    f"{self._args[0]} changed while loading: the model process read {message}, "
                    f"the worker {version}"
                )
        except BaseException as err:
            with self._life:
                self._stop_child()
            if isinstance(err, (OSError, EOFError)):
                raise ModelLoadError(f"the model process did not start: {err!r}") from err
            raise
        self.version = message
        sock.settimeout(None)
        sock.setblocking(False)
        self._sock = sock

    async def call(self, op: int, body: bytes) -> tuple[int, bytes]:
        """Send one call and wait for its answer (callers apply their own deadline)."""
        writer = await self._connected()
        loop = asyncio.get_running_loop()
        if self._pending:
            oldest = next(iter(self._pending.values()))[1]
            if loop.time() - oldest > HUNG_AFTER_S:
                log.error("the model process answered nothing for %.0f s: killing it", HUNG_AFTER_S)
                self._proc.kill()  # its socket closes; the reader then fails the calls and restarts
                raise ModelUnavailable("the model process hung")
        if len(self._pending) >= MAX_PENDING:
            raise ModelUnavailable(f"{len(self._pending)} calls already wait for the model")
        call_id = next(self._ids)
        future = loop.create_future()
        self._pending[call_id] = (future, loop.time())
        writer.write(_frame(call_id, op, body))
        try:
            return await future
        finally:
            self._pending.pop(call_id, None)

    def call_threadsafe(self, op: int, body: bytes, timeout_s: float) -> None:
        """:meth:`call` from a thread other than the event loop's (skipped before the first
        call: the child has then served nobody, and it syncs with the store before serving)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self.call(op, body), loop).result(timeout_s)

    async def _connected(self) -> asyncio.StreamWriter:
        if self._writer is not None:
            return self._writer
        async with self._connecting:  # one connection per child, however many calls wait
            if self._writer is not None:
                return self._writer
            sock, self._sock = self._sock, None
            if sock is None:
                self._restart_in_background()
                raise ModelUnavailable("the model process is starting")
            reader, writer = await asyncio.open_connection(sock=sock)
            self._writer, self._loop = writer, asyncio.get_running_loop()
            self._loop.create_task(self._read_answers(reader, writer))
            return writer

    async def _read_answers(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                n, call_id, status = _FRAME.unpack(await reader.readexactly(_FRAME.size))
                body = await reader.readexactly(n)
                future, _ = self._pending.get(call_id, (None, 0.0))
                if future is not None and not future.done():
                    future.set_result((status, body))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if self._writer is writer:
            self._writer = None
        writer.close()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(ModelUnavailable("the model process exited"))
        if not self._closed:
            log.error("the model process exited (code %s): starting a new one", self._proc.exitcode)
            self._restart_in_background()

    def _restart_in_background(self) -> None:
        """Start a new child in a thread, unless one is starting or the last failed recently
        (the pause doubles after each failure, up to a minute: a model that cannot load is not
        loaded again at every request)."""
        if not self._life.acquire(blocking=False):  # never block the event loop
            return
        try:
            if self._closed or self._restarting or time.monotonic() < self._next_restart:
                return
            self._restarting = True
        finally:
            self._life.release()

        def restart() -> None:
            try:
                with self._life:
                    if self._closed:
                        return
                    self._stop_child()
                    self._spawn()
                self.wait_loaded(self.version)
                self._backoff = RESTART_BACKOFF_S
            except ModelLoadError as err:
                log.error("the model process did not come back: %s", err)
                self._next_restart = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, MAX_RESTART_BACKOFF_S)
            finally:
                with self._life:
                    self._restarting = False
                    if self._closed:
                        self._stop_child()

        threading.Thread(target=restart, name="model-process-restart", daemon=True).start()

    def _stop_child(self, close_socket: bool = True) -> None:
        """End the current child, closing its socket unless a stream owns it (``_life`` held)."""
        if close_socket:
            self._booting.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=5)

    def close(self) -> None:
        """Stop the child (from any thread): it exits when its socket closes."""
        with self._life:
            self._closed = True
            writer, loop = self._writer, self._loop
            connected = False
            if writer is not None and loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(writer.close)  # the stream owns the socket
                connected = True
            self._stop_child(close_socket=not connected)


#: Errors a recommend raises for its request (404, 422), passed on as the same type.
REQUEST_ERRORS = (errors.UnknownLearnerError, errors.ConfigError)


def _request_error(body: bytes) -> PathfinderError:
    """The child's request error, as the same exception type where it is a pathfinder one."""
    data = json.loads(body)
    kind = getattr(errors, str(data.get("type")), None)
    message = str(data.get("message"))
    if isinstance(kind, type) and issubclass(kind, REQUEST_ERRORS):
        return kind(message)
    return errors.ConfigError(message)


class ProcessCore(ServiceCore):
    """A :class:`ServiceCore` whose recommend runs in a :class:`ModelProcess`.

    Writes, xAPI and the degraded fallback stay in the worker, on ``recommender``: the worker's
    copy of the model, which catches up with the store only when it needs to know the learners
    (before mapping xAPI statements, before a fallback), so the worker spends no CPU on online
    updates the child makes anyway.
    """

    def __init__(
        self,
        recommender: Recommender,
        store: EventStore,
        model: ModelProcess,
        deadline_s: float = 0.5,
    ) -> None:
        super().__init__(recommender, store, deadline_s)
        self.model = model
        # fallbacks run beside a model call that is past its deadline, never behind it
        self._spare = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fallback")

    async def recommend_body(self, request: RecommendRequest) -> tuple[bytes, bool]:
        """The response body (JSON, as the child wrote it) and whether it is degraded: the
        worker's fallback past the deadline, on a model failure or with the child unavailable.

        Raises
        ------
        UnknownLearnerError, ConfigError
            The request's own errors (unknown learner, unknown goal skill), unchanged.
        """
        call = asyncio.ensure_future(
            self.model.call(_RECOMMEND, request.model_dump_json().encode())
        )
        try:
            status, body = await asyncio.wait_for(asyncio.shield(call), self.deadline_s)
            if status == _OK:
                return body[1:], bool(body[0])
            if status == _REQUEST_ERROR:
                raise _request_error(body)
            log.error("model failure: degraded fallback (%s)", body.decode(errors="replace"))
        except TimeoutError:
            log.warning("recommend past its deadline: degraded fallback")
        except ModelUnavailable as err:
            log.warning("model unavailable (%s): degraded fallback", err)
        except PathfinderError:
            raise
        except Exception:
            log.exception("model failure: degraded fallback")
        fallback = await asyncio.get_running_loop().run_in_executor(
            self._spare, self._fallback, request
        )
        return fallback.model_dump_json().encode(), True

    async def recommend_async(self, request: RecommendRequest) -> RecommendResponse:
        """:meth:`recommend_body`, parsed."""
        body, _ = await self.recommend_body(request)
        return RecommendResponse.model_validate_json(body)

    def put_statements(
        self, statements: list[Any], statement_id: str | None = None
    ) -> list[tuple[str, bool]]:
        """As :meth:`ServiceCore.put_statements`, knowing every learner the store knows."""
        self.catch_up()
        return super().put_statements(statements, statement_id)

    def _fallback(self, request: RecommendRequest) -> RecommendResponse:
        """The fallback on the worker's copy, which touches the store only for a learner it does
        not know yet (first seen after the last catch-up), and then only if no other thread is
        catching up: the fallback must answer when the store or the model is in trouble."""
        try:
            return super()._fallback(request)
        except errors.UnknownLearnerError:
            self.catch_up(wait=False)
            return super()._fallback(request)

    def catch_up(self, wait: bool = True) -> None:
        """Apply the store's new rows to the worker's copy; never raises (logged)."""
        if not self._lock.acquire(blocking=wait):
            return
        try:
            self.sync()
        except Exception:  # the copy stays as it was; the store or a row is at fault
            log.warning("the worker's copy of the model could not catch up with the store")
        finally:
            self._lock.release()

    def erase(self, learner_id: str) -> dict[str, int]:
        """The store and the worker's copy first, then the child (before this call returns)."""
        counts = super().erase(learner_id)
        try:
            self.model.call_threadsafe(_FORGET, learner_id.encode(), self.deadline_s * 4)
        except Exception:  # the child applies the erasure from the store at its next sync
            log.warning("the model process did not confirm the erasure; it applies it at sync")
        return counts

    def close(self) -> None:
        super().close()
        self._spare.shutdown(wait=False, cancel_futures=True)
        self.model.close()
