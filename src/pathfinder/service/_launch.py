"""Run the real server in a subprocess on a free loopback port (tests and benchmarks).

:class:`ServerProcess` runs ``bentoml serve`` in a process group of its own, so a test can kill
the whole server (the arbiter and its worker) with SIGKILL and start it again on the same port;
:func:`running_server` is the plain start-and-stop context manager.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

__all__ = ["ServerProcess", "running_server"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes() -> dict[int, tuple[int, str]]:
    """Every process as pid -> (parent pid, state letter), from Linux ``/proc``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        found[int(entry.name)] = (int(fields[1]), fields[0])
    return found


def _tree(root: int) -> list[int]:
    """``root`` and its live descendants (zombies left out)."""
    procs = _processes()
    members, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        if pid in procs and procs[pid][1] != "Z":
            members.append(pid)
        frontier.extend(child for child, (parent, _) in procs.items() if parent == pid)
    return members


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ServerProcess:
    """``bentoml serve serving.service:Pathfinder`` from ``root`` with ``env`` added.

    The server runs in its own process group on one loopback port that stays the same across
    :meth:`kill` and :meth:`start`, so clients can keep their base URL.

    Parameters
    ----------
    root : Path
        Working directory (the repository root, where ``serving/`` lives).
    env : dict
        Variables added to this process's environment (``PATHFINDER_*``, ``BENTOML_HOME``).
    log : Path
        Server output (stdout and stderr); the first start truncates it, restarts append.
    ready_timeout_s : float
        How long :meth:`start` waits for ``/readyz`` to answer 200.
    args : sequence of str
        Extra command-line options of ``bentoml serve`` (e.g. ``("--verbose",)``).
    target : str
        What to serve: the service in ``root`` (default) or a built Bento (``pathfinder:latest``).
    """

    def __init__(
        self,
        root: Path,
        env: dict[str, str],
        log: Path,
        ready_timeout_s: float = 120.0,
        args: Sequence[str] = (),
        target: str = "serving.service:Pathfinder",
    ) -> None:
        self.root = root
        self.env = dict(env)
        self.log = log
        self.ready_timeout_s = ready_timeout_s
        self.args = tuple(args)
        self.target = target
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @property
    def pid(self) -> int | None:
        """Process id (and process-group id) of the running server, or None."""
        return None if self.proc is None else self.proc.pid

    def processes(self) -> dict[int, str]:
        """Every live process of the server's tree, as pid -> command line."""
        if self.proc is None:
            return {}
        out = {}
        for pid in _tree(self.proc.pid):
            try:
                out[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:  # exited meanwhile
                continue
        return out

    def start(self, wait_ready: bool = True) -> str:
        """Start the server and wait until ``/readyz`` answers 200; returns the base URL.

        With ``wait_ready=False``, wait only until it answers HTTP at all (``/livez``), e.g. to
        watch readiness while the model loads.

        Raises
        ------
        RuntimeError
            The server exited, reported itself dead (``/livez`` 503: the model load failed) or
            was not ready in time (the end of its log is included).
        """
        if self.proc is not None:
            raise RuntimeError(f"the server on port {self.port} is already running")
        exe = str(Path(sys.executable).parent / "bentoml")
        cmd = [exe, "serve", self.target, "--host", "127.0.0.1"]
        with self.log.open("w" if self.starts == 0 else "a") as out:
            self.proc = subprocess.Popen(
                [*cmd, "--port", str(self.port), *self.args],
                cwd=self.root,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the worker too
            )
        self.starts += 1
        deadline = time.monotonic() + self.ready_timeout_s
        while True:
            dead = False
            try:
                live = httpx.get(f"{self.base}/livez", timeout=2).status_code
                dead = live == 503
                if live == 200 and not wait_ready:
                    return self.base
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return self.base
            except httpx.HTTPError:
                pass
            if dead or self.proc.poll() is not None or time.monotonic() > deadline:
                self._kill_tree(self._frozen_tree())
                raise RuntimeError(
                    "server did not become ready:\n" + self.log.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server and every process it started; returns once all are gone."""
        if self.proc is None:
            raise RuntimeError("the server is not running")
        self._kill_tree(self._frozen_tree())
        self.kills += 1

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server gracefully (SIGTERM), then SIGKILL whatever of it is left."""
        if self.proc is None:
            return
        members = _tree(self.proc.pid)
        self.proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout_s)
        self._kill_tree(set(members))

    def _frozen_tree(self) -> set[int]:
        """The server's process tree, stopped (SIGSTOP) so that no member can start another.

        BentoML's arbiter starts its worker in a session of its own, so the worker is found
        through the process tree, not the process group.
        """
        assert self.proc is not None
        frozen: set[int] = set()
        while True:
            members = set(_tree(self.proc.pid))
            if members <= frozen:
                return frozen
            for pid in members - frozen:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            frozen |= members

    def _kill_tree(self, members: set[int], timeout_s: float = 30.0) -> None:
        """SIGKILL ``members``; return once none is alive and the port is free again."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        for pid in members:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        while True:
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.05)
            alive = {pid for pid, (_, state) in _processes().items() if state != "Z"}
            if self.proc.poll() is not None and not members & alive:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server processes {sorted(members & alive)} survived SIGKILL")
        while not _port_free(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} still taken after the server was killed")
            time.sleep(0.05)
        self.proc = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def running_server(
    root: Path, env: dict[str, str], log: Path, ready_timeout_s: float = 120.0
) -> Iterator[str]:
    """``bentoml serve serving.service:Pathfinder`` from ``root`` with ``env`` added.

    Yields the base URL once ``/readyz`` answers 200; stops the server (its whole process group)
    on exit.

    Raises
    ------
    RuntimeError
        The server exited or was not ready in time (the end of its log is included).
    """
    with ServerProcess(root, env, log, ready_timeout_s) as server:
        yield server.base
