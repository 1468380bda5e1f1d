"""Every validation error kind of framework.yaml names the key, the expectation and the finding."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pathfinder.data import parse_framework
from pathfinder.data.framework import find_cycle
from pathfinder.errors import DataValidationError

BASE: dict[str, Any] = {
    "version": "2025.1",
    "skills": [
        {"id": "a", "name": "A", "domain": "sales"},
        {"id": "b", "name": "B", "domain": "sales", "prerequisites": ["a"]},
        {"id": "c", "name": "C", "domain": "sales", "prerequisites": ["b"]},
    ],
    "roles": [{"id": "rep", "targets": {"a": 0.8, "c": 0.6}}],
    "priorities": [
        {
            "skill": "b",
            "weight": 1.5,
            "regions": ["apac"],
            "start": "2025-02-01",
            "end": "2027-12-31",
        }
    ],
    "regions": [
        {"id": "apac", "languages": ["en", "ja"], "timezone": "Asia/Tokyo", "local_share": 0.2}
    ],
}


def messages(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(DataValidationError) as info:
        parse_framework(raw)
    return [str(i) for i in info.value.issues]


def test_valid_framework_parses_and_exposes_vectors() -> None:
    fw = parse_framework(BASE)
    assert fw.skill_ids == ["a", "b", "c"]
    assert fw.target_vector("rep").tolist() == [0.8, 0.0, 0.6]
    import datetime as dt

    assert fw.priority_vector("apac", "rep", dt.date(2025, 3, 1)).tolist() == [1.0, 1.5, 1.0]
    assert fw.priority_vector("apac", "rep", dt.date(2025, 1, 1)).tolist() == [1.0, 1.0, 1.0]
    assert fw.priority_vector("apac", "rep", dt.date(2028, 1, 1)).tolist() == [1.0, 1.0, 1.0]


def test_prerequisite_cycle_names_the_cycle() -> None:
    raw = copy.deepcopy(BASE)
    raw["skills"][0]["prerequisites"] = ["c"]
    (msg,) = messages(raw)
    assert "cycle" in msg
    assert "a -> c -> b -> a" in msg or "c -> b -> a -> c" in msg or "b -> a -> c -> b" in msg


def test_target_for_unknown_skill_names_role_and_skill() -> None:
    raw = copy.deepcopy(BASE)
    raw["roles"][0]["targets"]["negotiaton"] = 0.5
    (msg,) = messages(raw)
    assert "framework.yaml, column 'roles[0].targets'" in msg
    assert "'rep'" in msg and "'negotiaton'" in msg


def test_out_of_range_target_is_reported_with_its_value() -> None:
    raw = copy.deepcopy(BASE)
    raw["roles"][0]["targets"]["a"] = 1.7
    (msg,) = messages(raw)
    assert "roles[0].targets" in msg and "1.7" in msg and "[0, 1]" in msg


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["skills"][1].update(prerequisites=["zz"]), "unknown prerequisite 'zz'"),
        (lambda r: r["priorities"][0].update(regions=["mars"]), "unknown region 'mars'"),
        (lambda r: r["priorities"][0].update(skill="nope"), "unknown skill 'nope'"),
        (lambda r: r["priorities"][0].update(end="2024-01-01"), "is before start"),
        (lambda r: r["regions"][0].update(timezone="Mars/Olympus"), "unknown IANA timezone"),
        (lambda r: r["regions"][0].update(languages=[]), "regions[0].languages"),
        (lambda r: r["skills"].append(dict(r["skills"][0])), "duplicate skill id 'a'"),
        (lambda r: r.pop("version"), "version': required key is missing"),
        (lambda r: r.update(colour="red"), "colour"),
        (lambda r: r["priorities"][0].update(weight=0), "priorities[0].weight"),
    ],
)
def test_each_error_kind_is_precise(mutate: Any, expected: str) -> None:
    raw = copy.deepcopy(BASE)
    mutate(raw)
    assert any(expected in m for m in messages(raw)), messages(raw)


def test_find_cycle_on_dag_and_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]
