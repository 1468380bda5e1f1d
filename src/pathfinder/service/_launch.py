"""Run the real server in a subprocess on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["running_server"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    root: Path, env: dict[str, str], log: Path, ready_timeout_s: float = 120.0
) -> Iterator[str]:
    """``bentoml serve serving.service:Pathfinder`` from ``root`` with ``env`` added.

    Yields the base URL once ``/readyz`` answers 200; stops the server on exit.

    Raises
    ------
    RuntimeError
        The server exited or was not ready in time (the end of its log is included).
    """
    port = _free_port()
    exe = str(Path(sys.executable).parent / "bentoml")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                exe,
                "serve",
                "serving.service:Pathfinder",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=root,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + ready_timeout_s
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "server did not become ready:\n" + log.read_text(errors="replace")[-3000:]
                    )
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
