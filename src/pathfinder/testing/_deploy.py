"""A disposable deployment of the server: model bundle, API keys, event store, logs."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.service import new_key
from pathfinder.service._launch import ServerProcess
from pathfinder.store import EventStore, open_store

__all__ = ["POSTGRES_URL", "Deployment", "Leak", "find_leaks"]

#: An e-mail address anywhere in a log line.
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Leak:
    """A personal datum or credential found in clear in a log line."""

    file: str
    line: int
    kind: str
    text: str


def find_leaks(
    paths: Iterable[Path], learner_ids: Iterable[str], keys: Iterable[str]
) -> list[Leak]:
    """Log lines holding a learner id (as a whole word), an API key or an e-mail address."""
    ids = sorted(set(learner_ids), key=len, reverse=True)
    id_re = (
        re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])")
        if ids
        else None
    )
    secrets = [k for k in keys if k]
    found: list[Leak] = []
    for path in paths:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            kinds = []
            if id_re is not None and id_re.search(line):
                kinds.append("learner id")
            if any(k in line for k in secrets):
                kinds.append("API key")
            if EMAIL.search(line):
                kinds.append("e-mail")
            found.extend(Leak(path.name, number, kind, line[:300]) for kind in kinds)
    return found


POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: Key id -> scopes written for every deployment.
KEY_SCOPES = {"lms": ("read", "write"), "reader": ("read",), "ops": ("admin",)}


@dataclass
class Deployment:
    """What a scenario needs to run servers against one event store.

    Use :meth:`create`; servers started with :meth:`server` log at debug level into
    ``workdir`` (see :meth:`logs`), so the privacy check can read every line they wrote.

    Parameters
    ----------
    root : Path
        Repository root (``serving/`` lives there).
    workdir : Path
        Keys file, server logs, BentoML home, SQLite files.
    bundle : Path
        The model bundle the servers load.
    store_url, namespace
        The event store every server of this deployment uses (a schema or table prefix).
    keys : dict
        Key id -> API key: ``lms`` (read, write), ``reader`` (read), ``ops`` (admin).
    learners, items, skills : list of str
        Ids the model knows (requests built from them are valid).
    """

    root: Path
    workdir: Path
    bundle: Path
    store_url: str
    namespace: str
    keys: dict[str, str]
    learners: list[str]
    items: list[str]
    skills: list[str]
    servers: list[ServerProcess] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        root: Path,
        workdir: Path,
        bundle: Path,
        world: World,
        backend: str = "sqlite",
    ) -> Deployment:
        """Write fresh API keys and pick a fresh store namespace for ``backend``.

        ``backend`` is ``"sqlite"`` (a file in ``workdir``) or ``"postgresql"`` (the server
        at :data:`POSTGRES_URL`, in a schema of its own; call :meth:`drop_store` at the end).
        """
        workdir.mkdir(parents=True, exist_ok=True)
        keys, records = {}, []
        for key_id, scopes in KEY_SCOPES.items():
            key, record = new_key(key_id, scopes)  # type: ignore[arg-type]
            keys[key_id] = key
            records.append(record.model_dump())
        (workdir / "keys.json").write_text(json.dumps(records))
        url = {"sqlite": f"sqlite:///{workdir / 'events.db'}", "postgresql": POSTGRES_URL}
        if backend not in url:
            raise ValueError(f"backend must be 'sqlite' or 'postgresql', got {backend!r}")
        return cls(
            root=root,
            workdir=workdir,
            bundle=bundle,
            store_url=url[backend],
            namespace=f"t_{uuid.uuid4().hex[:12]}",
            keys=keys,
            learners=sorted(map(str, world.learners[C.LEARNER_ID])),
            items=sorted(map(str, world.catalog[C.ITEM_ID])),
            skills=[s.id for s in world.framework.skills],
        )

    @property
    def backend(self) -> str:
        return "sqlite" if self.store_url.startswith("sqlite") else "postgresql"

    def env(
        self, store_url: str | None = None, model: Path | None = None, **settings: str
    ) -> dict[str, str]:
        """Server environment; ``settings`` adds ``PATHFINDER_<NAME>`` variables."""
        return {
            "PATHFINDER_MODEL": str(model or self.bundle),
            "PATHFINDER_STORE_URL": store_url or self.store_url,
            "PATHFINDER_STORE_NAMESPACE": self.namespace,
            "PATHFINDER_API_KEYS_FILE": str(self.workdir / "keys.json"),
            "BENTOML_HOME": str(self.workdir / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "true",
            "OPENBLAS_NUM_THREADS": "1",
            **{f"PATHFINDER_{k.upper()}": v for k, v in settings.items()},
        }

    def server(
        self,
        name: str,
        store_url: str | None = None,
        model: Path | None = None,
        debug: bool = True,
        **settings: str,
    ) -> ServerProcess:
        """A server (not started) logging to ``workdir/<name>.log``, at debug level by default.

        ``store_url`` and ``model`` replace the deployment's; ``settings`` adds
        ``PATHFINDER_<NAME>`` variables (e.g. ``max_inflight="4"``).
        """
        server = ServerProcess(
            self.root,
            self.env(store_url, model, **settings),
            self.workdir / f"{name}.log",
            args=("--verbose",) if debug else (),
        )
        self.servers.append(server)
        return server

    def auth(self, key_id: str = "lms") -> dict[str, str]:
        """Bearer header of one of the deployment's keys."""
        return {"Authorization": f"Bearer {self.keys[key_id]}"}

    def store(self) -> EventStore:
        """A direct connection to the deployment's event store (for checks)."""
        return open_store(self.store_url, namespace=self.namespace)

    def logs(self) -> list[Path]:
        """Log files of every server this deployment started."""
        return [s.log for s in self.servers if s.log.exists()]

    def leaks(self, learner_ids: Iterable[str] = ()) -> list[Leak]:
        """Personal data or keys in any log line of this deployment's servers.

        Looks for every learner id the model knows plus ``learner_ids`` (e.g. cold-start ids a
        test sent), every API key of the deployment, and any e-mail address.
        """
        return find_leaks(self.logs(), [*self.learners, *learner_ids], self.keys.values())

    def stop_all(self) -> None:
        """Stop every server of this deployment that still runs."""
        for server in self.servers:
            server.stop()

    def drop_store(self) -> None:
        """Delete the deployment's tables (its namespace)."""
        self.store().drop_all()
