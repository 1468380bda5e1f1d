"""Model faults: corrupt, truncate or swap the bundle on disk and reload it under load."""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pathfinder.testing._deploy import Deployment
from pathfinder.testing._load import Outcome, Recorder, events_batch

__all__ = ["FAULTS", "ModelFaultResult", "model_faults"]


def _truncate(bundle: Path, other: Path) -> None:
    ranker = bundle / "ranker.txt"
    ranker.write_bytes(ranker.read_bytes()[: ranker.stat().st_size // 2])


def _flip_bytes(bundle: Path, other: Path) -> None:
    arrays = bundle / "arrays.npz"
    data = bytearray(arrays.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    arrays.write_bytes(bytes(data))


def _delete_file(bundle: Path, other: Path) -> None:
    (bundle / "learners.parquet").unlink()


def _truncate_manifest(bundle: Path, other: Path) -> None:
    manifest = bundle / "bundle.json"
    manifest.write_bytes(manifest.read_bytes()[:100])


def _manifest_not_an_object(bundle: Path, other: Path) -> None:
    (bundle / "bundle.json").write_text('["not", "a", "manifest"]')


def _empty_directory(bundle: Path, other: Path) -> None:
    for path in bundle.iterdir():
        path.unlink()


def _mixed_swap(bundle: Path, other: Path) -> None:
    """Half of a swap: the new manifest over the old files (a copy caught half-way)."""
    shutil.copy2(other / "bundle.json", bundle / "bundle.json")


def _swap(bundle: Path, other: Path) -> None:
    """A complete swap to another valid model."""
    for path in bundle.iterdir():
        path.unlink()
    for path in other.iterdir():
        shutil.copy2(path, bundle / path.name)


#: Fault name -> (what it does to the bundle directory, the status /admin/reload must answer).
FAULTS: dict[str, tuple[Callable[[Path, Path], None], int]] = {
    "truncated ranker": (_truncate, 422),
    "flipped bytes": (_flip_bytes, 422),
    "missing file": (_delete_file, 422),
    "truncated manifest": (_truncate_manifest, 422),
    "manifest not an object": (_manifest_not_an_object, 422),
    "empty directory": (_empty_directory, 422),
    "half-swapped": (_mixed_swap, 422),
    "swapped": (_swap, 200),
}


@dataclass
class ModelFaultResult:
    """Load and readiness samples, and each reload's answer."""

    recorder: Recorder
    reloads: list[tuple[str, Outcome, str]]  # (fault or "restore", status, version or detail)
    versions: Counter[str] = field(default_factory=Counter)  # model_version served, by count
    versions_after: Counter[str] = field(default_factory=Counter)  # after the last reload


def _load(
    dep: Deployment,
    base: str,
    rec: Recorder,
    result: ModelFaultResult,
    stop: threading.Event,
    restored: threading.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while not stop.is_set():
            after = restored.is_set()
            body = {"learner_id": rng.choice(dep.learners), "max_steps": 5}
            outcome, r = rec.send(
                client, "read", "POST", "/recommend", json=body, headers=dep.auth()
            )
            if outcome == 200 and r is not None:
                version = r.json()["model_version"]
                result.versions[version] += 1
                if after:
                    result.versions_after[version] += 1
            batch = {"events": events_batch(rng, dep.learners, dep.items, 3)}
            rec.send(client, "write", "POST", "/events", json=batch, headers=dep.auth())


def _probe(base: str, rec: Recorder, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while not stop.is_set():
            rec.send(client, "readyz", "GET", "/readyz")
            time.sleep(0.05)


def model_faults(dep: Deployment, other: Path, settle_s: float = 0.5) -> ModelFaultResult:
    """Apply every fault of :data:`FAULTS` to the served bundle and reload, under load.

    Two clients send recommend + events batches throughout and a probe polls ``/readyz``.
    After each fault the original bundle is put back (the served model is unchanged when
    the reload failed); after the valid swap it is put back and reloaded too.

    Parameters
    ----------
    other : Path
        Another valid bundle (a different model of the same world) for the swaps.
    """
    bundle = dep.workdir / "model"  # a copy: the faults never touch the deployment's bundle
    backup = dep.workdir / "model-backup"
    shutil.copytree(dep.bundle, bundle)
    shutil.copytree(dep.bundle, backup)
    server = dep.server("model-faults", model=bundle)
    base = server.start()
    rec = Recorder()
    result = ModelFaultResult(rec, [])
    stop, restored = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=_load, args=(dep, base, rec, result, stop, restored, k))
        for k in range(2)
    ] + [threading.Thread(target=_probe, args=(base, rec, stop))]
    admin = {**dep.auth("ops")}

    def reload(name: str, client: httpx.Client) -> None:
        outcome, r = rec.send(client, "reload", "POST", "/admin/reload", headers=admin)
        detail = ""
        if r is not None:
            try:
                body = r.json()
                detail = str(body.get("model_version", body.get("detail")))
            except ValueError:  # not JSON (e.g. a bare 500)
                detail = r.text[:200]
        result.reloads.append((name, outcome, detail))

    def put_back() -> None:
        for path in bundle.iterdir():
            path.unlink()
        for path in backup.iterdir():
            shutil.copy2(path, bundle / path.name)

    try:
        for t in threads:
            t.start()
        with httpx.Client(base_url=base, timeout=60.0) as client:
            time.sleep(settle_s)
            for name, (fault, _) in FAULTS.items():
                rec.phase = name
                fault(bundle, other)
                reload(name, client)
                time.sleep(settle_s)
                put_back()
            rec.phase = "restore"
            reload("restore", client)
            restored.set()
            time.sleep(settle_s)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        put_back()
        server.stop()
    return result
