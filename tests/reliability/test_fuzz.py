"""API fuzzing: Schemathesis against the running server's own OpenAPI schema, every check.

The schema is the one BentoML serves at ``/docs.json`` (every route: the service's and the
health, readiness and metrics routes), fuzzed with an admin key and with no key at all. Every
phase runs (coverage, fuzzing, stateful); any 5xx, undocumented status, body that breaks its
schema, missing header or accepted invalid input fails the test.

One deliberate setting: ``positive_data_acceptance`` also accepts 422 (and 404, 409), because
the server checks what no schema can say: that items, skills, roles and learners exist in the
served model, and that an xAPI statement's timestamp, score and duration are well formed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.reliability.conftest import Deploy

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

MAX_EXAMPLES = 40  # per operation and phase: the whole module stays well under a minute here
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "503"]
"""


def _schemathesis(base: str, tmp: Path, headers: dict[str, str]) -> tuple[int, str, int]:
    """Run ``schemathesis run`` with all checks; (exit code, output, test cases generated)."""
    (tmp / "schemathesis.toml").write_text(CONFIG)
    exe = str(Path(sys.executable).parent / "schemathesis")
    cmd = [exe, "--config-file", str(tmp / "schemathesis.toml"), "run", f"{base}/docs.json"]
    cmd += ["--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", "6"]
    cmd += ["--generation-database", "none", "--no-color", "--request-timeout", "30"]
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}"]
    done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600)
    found = re.search(r"(\d+) generated", done.stdout)
    return done.returncode, done.stdout + done.stderr, int(found.group(1)) if found else 0


@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_fuzzing_finds_no_5xx_no_undocumented_status_and_no_schema_violation(
    deploy: Deploy, tmp_path: Path, who: str
) -> None:
    dep = deploy("sqlite")
    base = dep.server(f"fuzz-{who}").start()
    headers = {"X-Experience-API-Version": "1.0.3"}
    if who == "admin":
        headers["Authorization"] = f"Bearer {dep.keys['ops']}"
    code, output, cases = _schemathesis(base, tmp_path, headers)
    assert code == 0, output[-6000:]
    assert "14 selected / 14 total" in output  # every route of the schema was tested
    assert cases >= 300, output[-2000:]
