"""Loaders for CSV and Parquet, and every table-level validation error kind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pathfinder.data import World, load_world
from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError

Broken = Callable[[str, str, str], Path]


def issues_of(root: Path) -> list[str]:
    with pytest.raises(DataValidationError) as info:
        load_world(root)
    return [str(i) for i in info.value.issues]


def test_csv_and_parquet_load_to_the_same_world(tiny_world: World, tiny_csv_dir: Path) -> None:
    from_csv = load_world(tiny_csv_dir)
    for name in ("catalog", "learners", "assessments", "events"):
        a, b = getattr(tiny_world, name), getattr(from_csv, name)
        pd.testing.assert_frame_equal(
            a.drop(columns=[C.GAINS], errors="ignore"),
            b.drop(columns=[C.GAINS], errors="ignore"),
            check_dtype=False,
        )
    assert from_csv.catalog[C.GAINS].tolist() == tiny_world.catalog[C.GAINS].tolist()


def test_parsed_types(tiny_world: World) -> None:
    cat = tiny_world.catalog
    assert isinstance(cat[C.SKILLS].iloc[0], list) and isinstance(cat[C.GAINS].iloc[0][0], float)
    assert str(tiny_world.events[C.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert set(cat[C.MODALITY]) <= set(C.MODALITIES)
    assert tiny_world.summary()["learners"] == len(tiny_world.learners) == 300


def test_score_out_of_range_names_its_row(broken_copy: Broken, tiny_csv_dir: Path) -> None:
    lines = (tiny_csv_dir / "assessments.csv").read_text().splitlines()
    fields = lines[3].split(",")  # data row 3, line 4
    bad = ",".join([*fields[:2], "1.7", *fields[3:]])
    root = broken_copy("assessments.csv", lines[3], bad)
    msgs = issues_of(root)
    assert msgs == [
        "assessments.csv, row 3 (line 4), column 'score': expected a number in [0, 1], found '1.7'"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("catalog.csv", ",microlearning,", ",webinar,", "column 'modality': expected one of"),
        ("catalog.csv", "item_id,title", "item,title", "column 'item_id': required column"),
        ("events.csv", ",launched,", ",launched,xx", None),
        ("learners.csv", "T00:00:00Z", "yesterday", "column 'joined_at': expected an ISO-8601"),
        ("learners.csv", ",Europe/Berlin,", ",,", "column 'timezone': expected a non-empty id"),
        ("catalog.csv", "global,", "atlantis,", "column 'scope': unknown scope 'atlantis'"),
        ("learners.csv", "l000001,", "l000000,", "duplicate learner_id 'l000000'"),
        ("catalog.csv", ":0.", "=0.", "column 'skills': expected '|'-separated skill:gain"),
    ],
)
def test_each_table_error_kind_is_precise(
    broken_copy: Broken, file: str, old: str, new: str, expected: str | None
) -> None:
    msgs = issues_of(broken_copy(file, old, new))
    if expected is None:  # an extra field shifts the row: the row is named
        assert any(m.startswith("events.csv, row") for m in msgs), msgs
    else:
        assert any(expected in m for m in msgs), msgs
        assert all(m.startswith(file) for m in msgs)


def test_event_id_must_be_a_uuid(broken_copy: Broken, tiny_csv_dir: Path) -> None:
    first = (tiny_csv_dir / "events.csv").read_text().splitlines()[1]
    root = broken_copy("events.csv", first, "not-a-uuid" + first[36:])
    (msg,) = issues_of(root)
    assert msg.startswith("events.csv, row 1 (line 2), column 'event_id': expected a UUID")
    assert "'not-a-uuid'" in msg


def test_unknown_references_are_named(broken_copy: Broken, tiny_csv_dir: Path) -> None:
    first = (tiny_csv_dir / "assessments.csv").read_text().splitlines()[1]
    learner, skill = first.split(",")[:2]
    root = broken_copy("assessments.csv", f"{learner},{skill}", f"ghost,{skill}x")
    msgs = issues_of(root)
    assert "assessments.csv, row 1 (line 2), column 'learner_id': unknown learner 'ghost'" in msgs
    assert f"assessments.csv, row 1 (line 2), column 'skill_id': unknown skill '{skill}x'" in msgs


def test_item_prerequisite_cycle_is_named(tiny_csv_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "w"
    shutil.copytree(tiny_csv_dir, root)
    cat = pd.read_csv(root / "catalog.csv", dtype=str, keep_default_na=False)
    cat.loc[0, "prerequisites"] = cat.loc[1, "item_id"]
    cat.loc[1, "prerequisites"] = cat.loc[0, "item_id"]
    cat.to_csv(root / "catalog.csv", index=False)
    msgs = issues_of(root)
    a, b = cat.loc[0, "item_id"], cat.loc[1, "item_id"]
    assert any(f"cycle: {a} -> {b} -> {a}" in m or f"cycle: {b} -> {a} -> {b}" in m for m in msgs)


def test_missing_table_and_missing_directory(tiny_csv_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "w"
    shutil.copytree(tiny_csv_dir, root)
    (root / "events.csv").unlink()
    (msg,) = issues_of(root)
    assert msg.startswith("events.csv: missing: expected events.csv or events.parquet")
    assert issues_of(tmp_path / "nowhere")[0].endswith("is not a directory")


def test_many_bad_rows_are_summarised(tiny_csv_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "w"
    shutil.copytree(tiny_csv_dir, root)
    ev = pd.read_csv(root / "events.csv", dtype=str, keep_default_na=False)
    ev["verb"] = "clicked"
    ev.to_csv(root / "events.csv", index=False)
    msgs = issues_of(root)
    assert len(msgs) == 6
    assert msgs[-1] == (
        f"events.csv, column 'verb': ... {len(ev) - 5} more rows with the same problem"
    )
