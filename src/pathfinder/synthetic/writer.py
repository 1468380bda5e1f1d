"""Write a simulated world to a data directory with a manifest; truth goes under ``truth/``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import yaml

from pathfinder.data.framework import FRAMEWORK_FILE
from pathfinder.data.tables import write_parquet, write_table
from pathfinder.data.world import MANIFEST_FILE
from pathfinder.errors import ConfigError
from pathfinder.synthetic.generator import GENERATOR_VERSION, ProgressFn, Simulation, simulate
from pathfinder.synthetic.sizes import SIZES

__all__ = ["TRUTH_DIR", "generate"]

TRUTH_DIR = "truth"
Format = Literal["parquet", "csv"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST_FILE).exists():
        raise ConfigError(
            f"--out {out} is a non-empty directory that holds no generated world "
            f"(no {MANIFEST_FILE}); choose an empty or new directory"
        )


def write_simulation(
    sim: Simulation, out: Path, fmt: Format, meta: dict[str, Any]
) -> dict[str, Any]:
    """Write ``sim`` into ``out``; returns the manifest (also written as ``MANIFEST.json``)."""
    _check_out(out)
    (out / TRUTH_DIR).mkdir(parents=True, exist_ok=True)
    fw_raw = sim.framework.model_dump(mode="json", exclude_none=True)
    (out / FRAMEWORK_FILE).write_text(
        yaml.safe_dump(fw_raw, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    tables = {
        "catalog": sim.catalog,
        "learners": sim.learners,
        "assessments": sim.assessments,
        "events": sim.events,
        "outcomes": sim.outcomes,
    }
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.{fmt}")
    for name, frame in sim.truth.items():
        write_parquet(frame, out / TRUTH_DIR / f"{name}.parquet")
    (out / TRUTH_DIR / "dynamics.json").write_text(
        json.dumps(sim.truth_meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)
    manifest = {
        **meta,
        "format": fmt,
        "framework_version": sim.framework.version,
        "rows": {name: len(frame) for name, frame in tables.items()},
        "truth_dir": TRUTH_DIR,
        "files": {str(p.relative_to(out)): _sha256(p) for p in files},
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def generate(
    size: str,
    seed: int,
    out: Path | str,
    fmt: Format = "parquet",
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Generate the synthetic world of ``size`` with ``seed`` into ``out``.

    Same ``size``, ``seed`` and ``fmt`` give byte-identical files. ``out`` is checked before the
    simulation runs (a large world simulates for minutes).

    Returns
    -------
    dict
        The manifest: generator version, seed, sizes, row counts and file checksums.
    """
    if size not in SIZES:
        raise ConfigError(f"unknown size '{size}'; expected one of {', '.join(SIZES)}")
    if seed < 0:
        raise ConfigError(f"seed must be >= 0, got {seed}")
    out = Path(out)
    _check_out(out)
    dims = SIZES[size]
    sim = simulate(dims, seed, progress)
    meta = {
        "generator": "pathfinder.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "dimensions": asdict(dims),
    }
    return write_simulation(sim, out, fmt, meta)
