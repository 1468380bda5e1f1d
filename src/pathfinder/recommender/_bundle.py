"""Save and load a Recommender as a directory of safe formats (no pickle: loading runs no code).

Layout::

    bundle.json        format, versions, config, checksums of every other file
    framework.yaml     the framework the model was trained on
    catalog.parquet    the catalogue table
    learners.parquet   learner rows (id, role, region, language, erased)
    arrays.npz         skill state, priors, CF factors, popularity, engagement, fingerprints of
                       the training evidence (allow_pickle=False)
    skills.txt         LightGBM text model of the skill-state correction (absent if none)
    ranker.txt         LightGBM text model of the ranker
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import ValidationError
from scipy import sparse

from pathfinder.candidates import CFModel
from pathfinder.catalog import CatalogArrays
from pathfinder.data import parse_framework
from pathfinder.data.tables import SCHEMAS, read_table, write_table
from pathfinder.errors import DataValidationError, ModelLoadError
from pathfinder.ranking import CompletionChance, PathRanker
from pathfinder.recommender._config import RecommenderConfig
from pathfinder.recommender._engine import Engine
from pathfinder.recommender._registry import LearnerRegistry
from pathfinder.recommender._seen import SeenEvidence
from pathfinder.skills import FilterParams, SkillState, SkillStateModel

if TYPE_CHECKING:
    from pathfinder.recommender._recommender import Recommender

__all__ = ["BUNDLE_FORMAT", "load_bundle", "save_bundle"]

BUNDLE_FORMAT = 4  # 2: training evidence fingerprints; 3: ranker features, slate; 4: completion
MANIFEST = "bundle.json"
FILES = ("framework.yaml", "catalog.parquet", "learners.parquet", "arrays.npz", "ranker.txt")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_bundle(rec: Recommender, path: Path) -> Path:
    """Write ``rec`` to ``path`` (created; existing bundle files are replaced)."""
    path.mkdir(parents=True, exist_ok=True)
    eng = rec.engine_
    sk = eng.skills
    (path / "framework.yaml").write_text(
        yaml.safe_dump(eng.framework.model_dump(mode="json", exclude_none=True), sort_keys=False),
        encoding="utf-8",
    )
    write_table(_catalog_frame(eng.catalog, eng.framework.region_ids), path / "catalog.parquet")
    reg = rec.registry_
    learners = pd.DataFrame(
        {
            "learner_id": reg.ids,
            "role": reg.role,
            "region": reg.region,
            "language": reg.language,
            "erased": [k in reg.erased for k in range(len(reg))],
        }
    )
    pq.write_table(pa.Table.from_pydict(learners.to_dict(orient="list")), path / "learners.parquet")
    completed, engagement = reg.matrices(eng.catalog.n_items)
    # make sure every learner's CF factors are current before saving
    for row in sorted(rec.dirty_):
        rec._user_vector(row)
    arrays: dict[str, np.ndarray] = {
        **{f"state_{k}": v for k, v in sk.state_.arrays().items()},
        "group_prior": sk.group_prior_,
        "targets": sk.targets_,
        "bias": sk.params_.bias,
        "noise_var": sk.params_.noise_var,
        "user_factors": rec.user_factors_,
        "item_factors": eng.cf.item_factors_,
        "popularity": eng.popularity,
        "seen_events": rec.seen_.events,
        "seen_assessments": rec.seen_.assessments,
        **_csr("completed", completed),
        **_csr("engagement", engagement),
    }
    np.savez_compressed(path / "arrays.npz", **arrays)  # type: ignore[arg-type]
    (path / "ranker.txt").write_text(rec.ranker_.to_text(), encoding="utf-8")
    files = list(FILES)
    skills_txt = path / "skills.txt"
    if sk.booster_ is not None:
        skills_txt.write_text(str(sk.booster_.model_to_string()), encoding="utf-8")
        files.append("skills.txt")
    elif skills_txt.exists():
        skills_txt.unlink()
    manifest = {
        "format": BUNDLE_FORMAT,
        "model_version": rec.model_version_,
        "framework_version": eng.framework.version,
        "config": json.loads(rec.config.model_dump_json()),
        "half_life_days": sk.params_.half_life,
        "clock_days": rec.clock_,
        "training": rec.training_summary_,
        "completion": rec.completion_.to_dict(),
        "files": {name: _sha(path / name) for name in files},
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _catalog_frame(cat: CatalogArrays, regions: list[str]) -> pd.DataFrame:
    from pathfinder.data import columns as C

    skills = [[cat.skill_ids[s] for s in np.flatnonzero(row > 0)] for row in cat.gains]
    gains = [[float(g) for g in row[row > 0]] for row in cat.gains]
    return pd.DataFrame(
        {
            C.ITEM_ID: cat.item_ids,
            C.TITLE: cat.titles,
            C.MODALITY: [C.MODALITIES[m] for m in cat.modality],
            C.SKILLS: skills,
            C.GAINS: gains,
            C.LEVEL: cat.level,
            C.DURATION_MIN: cat.duration_min,
            C.LANGUAGES: [list(x) for x in cat.languages],
            C.SCOPE: [C.GLOBAL_SCOPE if s < 0 else regions[s] for s in cat.scope],
            C.PARTNER: [cat.partner_names[p] for p in cat.partner],
            C.PREREQUISITES: [[str(cat.item_ids[p]) for p in pre] for pre in cat.prerequisites],
            C.CAPACITY_PER_WEEK: np.where(np.isinf(cat.capacity), np.nan, cat.capacity),
            C.ACTIVITY_ID: cat.activity_ids,
        }
    )


def _csr(name: str, m: sparse.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{name}_indptr": m.indptr,
        f"{name}_indices": m.indices,
        f"{name}_data": m.data,
        f"{name}_shape": np.array(m.shape),
    }


def _uncsr(a: Any, name: str) -> sparse.csr_matrix:
    return sparse.csr_matrix(
        (a[f"{name}_data"], a[f"{name}_indices"], a[f"{name}_indptr"]),
        shape=tuple(a[f"{name}_shape"]),
    )


def load_bundle(
    cls: type[Recommender], path: Path, expected_framework_version: str | None
) -> Recommender:
    """Read and verify a bundle; see :meth:`Recommender.load`."""
    if not (path / MANIFEST).is_file():
        raise ModelLoadError(f"{path} is not a pathfinder model bundle: {MANIFEST} is missing")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"{path / MANIFEST} is not valid JSON: {err}") from err
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
        raise ModelLoadError(
            f"{path / MANIFEST} is not a bundle manifest: expected a JSON object with a 'files' "
            "object; rewrite the bundle with Recommender.save"
        )
    if manifest.get("format") != BUNDLE_FORMAT:
        raise ModelLoadError(
            f"{path}: bundle format {manifest.get('format')!r}, this version "
            f"reads format {BUNDLE_FORMAT}; retrain or upgrade"
        )
    fw_version = manifest.get("framework_version")
    if expected_framework_version is not None and fw_version != expected_framework_version:
        raise ModelLoadError(
            f"{path}: model was trained on framework version {fw_version!r}, "
            f"expected {expected_framework_version!r}"
        )
    for name, digest in manifest.get("files", {}).items():
        file = path / name
        if not file.is_file():
            raise ModelLoadError(f"{path}: bundle is incomplete, {name} is missing")
        if _sha(file) != digest:
            raise ModelLoadError(f"{path}: {name} is corrupt (checksum mismatch)")
    missing = [f for f in FILES if f not in manifest.get("files", {})]
    if missing:
        raise ModelLoadError(f"{path}: bundle manifest lists no {', '.join(missing)}")
    try:
        return _build(cls, path, manifest)
    except (
        KeyError,
        ValueError,
        OSError,
        zipfile.BadZipFile,
        lgb.basic.LightGBMError,
        ValidationError,
        DataValidationError,
        pa.ArrowException,
    ) as err:
        raise ModelLoadError(f"{path}: bundle cannot be read: {err}") from err


def _build(cls: type[Recommender], path: Path, manifest: dict[str, Any]) -> Recommender:
    config = RecommenderConfig.model_validate(manifest["config"])
    framework = parse_framework(yaml.safe_load((path / "framework.yaml").read_text("utf-8")))
    catalog = CatalogArrays.from_frame(
        read_table(path / "catalog.parquet", SCHEMAS["catalog"]), framework
    )
    with np.load(path / "arrays.npz", allow_pickle=False) as a:
        arrays = {k: a[k] for k in a.files}
    skills = SkillStateModel(config.skills)
    sc = config.skills
    skills.params_ = FilterParams(
        float(manifest["half_life_days"]),
        sc.floor_ratio,
        sc.drift_per_day,
        sc.completion_gain,
        sc.zpd_offset,
        sc.zpd_width,
        arrays["bias"],
        arrays["noise_var"],
    )
    skills.state_ = SkillState.from_arrays(
        {k[len("state_") :]: v for k, v in arrays.items() if k.startswith("state_")}, sc.prior_sd**2
    )
    skills.group_prior_ = arrays["group_prior"]
    skills.targets_ = arrays["targets"]
    skills.booster_ = (
        lgb.Booster(model_str=(path / "skills.txt").read_text("utf-8"))
        if "skills.txt" in manifest["files"]
        else None
    )
    cf = CFModel.from_factors(config.candidates.cf, arrays["user_factors"], arrays["item_factors"])
    engine = Engine(
        framework, catalog, skills, cf, arrays["popularity"], config.candidates, config.goal_target
    )
    learners = pq.read_table(path / "learners.parquet").to_pydict()
    registry = LearnerRegistry(
        list(learners["learner_id"]),
        list(learners["role"]),
        list(learners["region"]),
        list(learners["language"]),
        completed=[set(r) for r in LearnerRegistry.rows_of(_uncsr(arrays, "completed"))],
        engagement=LearnerRegistry.rows_of(_uncsr(arrays, "engagement")),
        erased={k for k, e in enumerate(learners["erased"]) if e},
    )
    if not (len(registry) == skills.state_.mu.shape[0] == len(arrays["user_factors"])):
        raise ValueError("learner rows of the registry, skill state and CF factors differ")
    rec = cls(config)
    rec.engine_ = engine
    rec.ranker_ = PathRanker.from_text((path / "ranker.txt").read_text("utf-8"), config.ranker)
    rec.completion_ = CompletionChance.from_dict(manifest["completion"])
    rec.registry_ = registry
    rec.user_factors_ = arrays["user_factors"].copy()
    rec.dirty_ = set()
    rec.clock_ = float(manifest["clock_days"])
    rec.seen_ = SeenEvidence(arrays["seen_events"], arrays["seen_assessments"])
    rec.model_version_ = str(manifest["model_version"])
    rec.training_summary_ = dict(manifest.get("training", {}))
    return rec
