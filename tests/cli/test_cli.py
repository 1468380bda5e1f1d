"""The installed ``pathfinder`` command: generate, validate, exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from pathfinder.cli import cli


def test_generate_then_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "w"
    result = runner.invoke(
        cli, ["generate", "--size", "tiny", "--seed", "3", "--out", str(out), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "events" in result.output and (out / "events.csv").exists()
    result = runner.invoke(cli, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: valid" in result.output
    assert "learners                  300" in result.output


def test_every_subcommand_has_help() -> None:
    runner = CliRunner()
    for command in cli.commands:
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_broken_file_exits_2_with_the_precise_message(
    broken_copy: Callable[[str, str, str], Path], tiny_csv_dir: Path
) -> None:
    """Through the real console script: one precise line on stderr, no traceback."""
    lines = (tiny_csv_dir / "assessments.csv").read_text().splitlines()
    fields = lines[3].split(",")
    root = broken_copy("assessments.csv", lines[3], ",".join([*fields[:2], "1.7", *fields[3:]]))
    exe = Path(sys.executable).parent / "pathfinder"
    proc = subprocess.run(
        [str(exe), "validate", str(root)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: assessments.csv, row 3 (line 4), column 'score': "
        "expected a number in [0, 1], found '1.7'\n"
    )


def test_bad_arguments_exit_2_without_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "--size", "huge", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    (tmp_path / "mine.txt").write_text("x")
    result = runner.invoke(cli, ["generate", "--size", "tiny", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "non-empty directory" in result.output
    result = runner.invoke(cli, ["validate", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_keys_create_stores_only_the_hash(tmp_path: Path) -> None:
    import json

    from pathfinder.service import ApiKeys

    runner = CliRunner()
    path = tmp_path / "keys.json"
    result = runner.invoke(
        cli,
        [
            "keys",
            "create",
            "--id",
            "lms",
            "--scope",
            "read",
            "--scope",
            "write",
            "--file",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key not in path.read_text()
    principal = ApiKeys.from_file(path).authenticate(f"Bearer {key}")
    assert principal is not None and principal.allows("write") and not principal.allows("admin")
    again = runner.invoke(
        cli, ["keys", "create", "--id", "lms", "--scope", "read", "--file", str(path)]
    )
    assert again.exit_code == 2 and "already has a key with id 'lms'" in again.output
    assert len(json.loads(path.read_text())) == 1
