"""``bentoml build`` packs a deployable Bento from serving/bentofile.yaml, and the Bento serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from pathfinder.data import World
from pathfinder.data import columns as C
from pathfinder.recommender import Recommender
from pathfinder.service import new_key
from pathfinder.service._launch import ServerProcess

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_bento_builds_and_serves(tiny_world: World, tmp_path: Path) -> None:
    home = tmp_path / "bentoml"
    exe = str(Path(sys.executable).parent / "bentoml")
    built = subprocess.run(
        [exe, "build", "-f", "serving/bentofile.yaml", ".", "--output", "tag"],
        cwd=ROOT,
        env={**os.environ, "BENTOML_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # the one version (a random tag, which may itself start with "l"), not the "latest" pointer
    (bento,) = [p for p in (home / "bentos" / "pathfinder").iterdir() if p.name != "latest"]
    manifest = yaml.safe_load((bento / "bento.yaml").read_text())
    assert manifest["service"] == "serving.service:Pathfinder"
    assert manifest["name"] == "pathfinder" and manifest["labels"]["project"] == "pathfinder"
    paths = manifest["schema"]["paths"]
    assert {"/recommend", "/events", "/assessments", "/xapi/statements"} <= set(paths)
    src = bento / "src"
    assert (src / "serving/service.py").is_file()
    assert (src / "src/pathfinder/service/_core.py").is_file()
    assert not list(src.rglob("*.parquet")) and not list(src.rglob("test_*.py"))  # code only
    pinned = (bento / "env/python/requirements.txt").read_text()
    for package in ("bentoml==", "mlflow==", "lightgbm==", "lleaves==", "implicit==", "psycopg"):
        assert package in pinned, package

    bundle = Recommender().fit(tiny_world).save(tmp_path / "model")
    key, record = new_key("lms", ("read",))
    (tmp_path / "keys.json").write_text(json.dumps([record.model_dump()]))
    env = {
        "BENTOML_HOME": str(home),
        "PATHFINDER_MODEL": str(bundle),
        "PATHFINDER_STORE_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "PATHFINDER_API_KEYS_FILE": str(tmp_path / "keys.json"),
        "OPENBLAS_NUM_THREADS": "1",
    }
    with ServerProcess(tmp_path, env, tmp_path / "server.log", target="pathfinder:latest") as srv:
        lid = str(tiny_world.events[C.LEARNER_ID].iloc[0])
        r = httpx.post(
            f"{srv.base}/recommend",
            json={"learner_id": lid},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200 and r.json()["steps"], r.text
