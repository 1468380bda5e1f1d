"""Shared fixtures: generated worlds, written once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pathfinder.data import World, load_world
from pathfinder.synthetic import generate

TINY_SEED = 7
SMALL_SEED = 11


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def tiny_csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny_csv")
    generate("tiny", TINY_SEED, out, fmt="csv")
    return out


@pytest.fixture(scope="session")
def tiny_world(tiny_dir: Path) -> World:
    return load_world(tiny_dir)


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate("small", SMALL_SEED, out)
    return out


@pytest.fixture(scope="session")
def small_world(small_dir: Path) -> World:
    return load_world(small_dir)


@pytest.fixture
def broken_copy(tiny_csv_dir: Path, tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Copy the tiny CSV world and replace the first occurrence of ``old`` by ``new`` in a file."""

    def make(file: str, old: str, new: str) -> Path:
        out = tmp_path / "world"
        if not out.exists():
            shutil.copytree(tiny_csv_dir, out)
        path = out / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return out

    return make
