"""Generator determinism, manifest and ground-truth separation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pathfinder.data import World, load_world
from pathfinder.errors import ConfigError
from pathfinder.synthetic import SIZES, TRUTH_DIR, generate


def _bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_output(tiny_dir: Path, tmp_path: Path) -> None:
    from tests.conftest import TINY_SEED

    again = tmp_path / "again"
    generate("tiny", TINY_SEED, again)
    assert _bytes(again) == _bytes(tiny_dir)


def test_other_seed_gives_other_world(tiny_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate("tiny", 12345, other)
    a, b = _bytes(tiny_dir), _bytes(other)
    assert a.keys() == b.keys()
    assert a["events.parquet"] != b["events.parquet"]


def test_manifest_records_version_seed_sizes_rows_and_checksums(
    tiny_dir: Path, tiny_world: World
) -> None:
    manifest = json.loads((tiny_dir / "MANIFEST.json").read_text())
    assert manifest["seed"] == 7 and manifest["size"] == "tiny"
    assert manifest["generator_version"]
    assert manifest["dimensions"]["learners"] == SIZES["tiny"].learners == len(tiny_world.learners)
    assert manifest["rows"]["events"] == len(tiny_world.events)
    assert manifest["framework_version"] == tiny_world.framework.version
    assert set(manifest["files"]) >= {
        "framework.yaml",
        "events.parquet",
        f"{TRUTH_DIR}/trajectories.parquet",
    }
    assert tiny_world.manifest == manifest


def test_truth_is_separate_and_complete(tiny_dir: Path, tiny_world: World) -> None:
    import pandas as pd

    top_level = {p.name for p in tiny_dir.iterdir()}
    assert not any("truth" in name or "latent" in name for name in top_level - {TRUTH_DIR})
    traj = pd.read_parquet(tiny_dir / TRUTH_DIR / "trajectories.parquet")
    n_l, n_s = len(tiny_world.learners), len(tiny_world.framework.skills)
    weeks = SIZES["tiny"].weeks
    assert len(traj) == n_l * n_s * (weeks // SIZES["tiny"].snapshot_every + 1)
    assert traj["proficiency"].between(0, 1).all()
    dyn = json.loads((tiny_dir / TRUTH_DIR / "dynamics.json").read_text())
    assert dyn["weeks"] == weeks and "zpd_offset" in dyn["dynamics"]


def test_world_has_every_event_verb_and_assessment_method(tiny_world: World) -> None:
    from pathfinder.data import columns as C

    assert set(tiny_world.events[C.VERB]) == set(C.VERBS)
    assert set(tiny_world.assessments[C.METHOD]) == set(C.METHODS)
    assert set(tiny_world.catalog[C.MODALITY]) == set(C.MODALITIES)
    assert tiny_world.outcomes is not None and len(tiny_world.outcomes) > 0


def test_refuses_to_overwrite_a_foreign_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    def never(*args: object) -> None:
        raise AssertionError("simulated before checking --out")

    # refused before minutes of simulation, not after
    monkeypatch.setattr("pathfinder.synthetic.writer.simulate", never)
    with pytest.raises(ConfigError, match="non-empty directory"):
        generate("tiny", 0, tmp_path)
    with pytest.raises(ConfigError, match="non-empty directory"):
        generate("tiny", 0, str(tmp_path))  # a str path is as good as a Path


def test_a_string_path_is_accepted(tmp_path: Path) -> None:
    manifest = generate("tiny", 3, str(tmp_path / "w"))
    assert (tmp_path / "w" / "MANIFEST.json").exists() and manifest["seed"] == 3


def test_rejects_unknown_size(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown size 'huge'"):
        generate("huge", 0, tmp_path)


def test_loaded_events_reference_the_catalog(tiny_dir: Path) -> None:
    world = load_world(tiny_dir)  # cross-table checks run inside
    assert world.events["event_id"].is_unique


def test_output_does_not_depend_on_hash_seed_or_blas_threads(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Set iteration order and BLAS threading must not leak into the world (CI runs elsewhere)."""
    import os
    import subprocess
    import sys

    from tests.conftest import TINY_SEED

    out = tmp_path / "other_process"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "OPENBLAS_NUM_THREADS": "2"}
    code = (
        f"from pathlib import Path; from pathfinder.synthetic import generate; "
        f"generate('tiny', {TINY_SEED}, Path({str(out)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert _bytes(out) == _bytes(tiny_dir)
