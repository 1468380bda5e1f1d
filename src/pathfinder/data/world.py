"""A data directory as one validated object: framework, tables, manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathfinder.data import columns as C
from pathfinder.data.framework import FRAMEWORK_FILE, Framework, find_cycle, load_framework
from pathfinder.data.tables import SCHEMAS, find_table, read_table
from pathfinder.errors import DataValidationError, ValidationIssue

__all__ = ["MANIFEST_FILE", "World", "load_world"]

MANIFEST_FILE = "MANIFEST.json"


@dataclass(frozen=True)
class World:
    """Everything pathfinder learns from, validated.

    Attributes
    ----------
    framework : Framework
    catalog, learners, assessments, events : pandas.DataFrame
        Parsed tables (see :mod:`pathfinder.data.tables`).
    outcomes : pandas.DataFrame or None
        Kirkpatrick level-4 results, when the directory has them.
    manifest : dict
        ``MANIFEST.json`` when present (generated worlds), else empty.
    root : Path or None
        The directory the world was loaded from.
    """

    framework: Framework
    catalog: pd.DataFrame
    learners: pd.DataFrame
    assessments: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None

    def summary(self) -> dict[str, Any]:
        """Row counts and the framework's shape, for CLIs and run logs."""
        return {
            "framework_version": self.framework.version,
            "skills": len(self.framework.skills),
            "roles": len(self.framework.roles),
            "regions": len(self.framework.regions),
            "priorities": len(self.framework.priorities),
            "items": len(self.catalog),
            "learners": len(self.learners),
            "assessments": len(self.assessments),
            "events": len(self.events),
            "outcomes": 0 if self.outcomes is None else len(self.outcomes),
        }


def _unknown(
    issues: list[ValidationIssue],
    file: str,
    column: str,
    values: pd.Series,
    known: set[str],
    what: str,
) -> None:
    """Report rows whose ``column`` value is not in ``known``."""
    bad = ~values.isin(list(known)).to_numpy()
    rows = np.flatnonzero(bad)
    for r in rows[:5]:
        issues.append(
            ValidationIssue(file, f"unknown {what} {values.iloc[r]!r}", int(r) + 1, column)
        )
    if len(rows) > 5:
        issues.append(
            ValidationIssue(
                file, f"... {len(rows) - 5} more rows with an unknown {what}", None, column
            )
        )


def _unknown_in_lists(
    issues: list[ValidationIssue],
    file: str,
    column: str,
    lists: pd.Series,
    known: set[str],
    what: str,
) -> None:
    count = 0
    for r, values in enumerate(lists):
        for v in values:
            if v not in known:
                count += 1
                if count <= 5:
                    issues.append(ValidationIssue(file, f"unknown {what} {v!r}", r + 1, column))
    if count > 5:
        issues.append(
            ValidationIssue(file, f"... {count - 5} more unknown {what} values", None, column)
        )


def _cross_checks(
    fw: Framework, tables: dict[str, tuple[str, pd.DataFrame]]
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    skills, regions, roles = set(fw.skill_ids), set(fw.region_ids), set(fw.role_ids)
    cat_file, catalog = tables["catalog"]
    items = set(catalog[C.ITEM_ID])
    _unknown_in_lists(issues, cat_file, C.SKILLS, catalog[C.SKILLS], skills, "skill")
    _unknown_in_lists(issues, cat_file, C.PREREQUISITES, catalog[C.PREREQUISITES], items, "item")
    _unknown(issues, cat_file, C.SCOPE, catalog[C.SCOPE], regions | {C.GLOBAL_SCOPE}, "scope")
    cycle = find_cycle(dict(zip(catalog[C.ITEM_ID], catalog[C.PREREQUISITES], strict=True)))
    if cycle:
        issues.append(
            ValidationIssue(
                cat_file,
                "item prerequisites form a cycle: " + " -> ".join(cycle),
                column=C.PREREQUISITES,
            )
        )
    lrn_file, learners = tables["learners"]
    _unknown(issues, lrn_file, C.ROLE, learners[C.ROLE], roles, "role")
    _unknown(issues, lrn_file, C.REGION, learners[C.REGION], regions, "region")
    people = set(learners[C.LEARNER_ID])
    ass_file, assessments = tables["assessments"]
    _unknown(issues, ass_file, C.LEARNER_ID, assessments[C.LEARNER_ID], people, "learner")
    _unknown(issues, ass_file, C.SKILL_ID, assessments[C.SKILL_ID], skills, "skill")
    ev_file, events = tables["events"]
    _unknown(issues, ev_file, C.LEARNER_ID, events[C.LEARNER_ID], people, "learner")
    _unknown(issues, ev_file, C.ITEM_ID, events[C.ITEM_ID], items, "item")
    return issues


def load_world(root: Path | str) -> World:
    """Load and validate a whole data directory.

    Raises
    ------
    DataValidationError
        Every problem found, each naming file, row, column, expectation and finding.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataValidationError([ValidationIssue(str(root), "is not a directory")])
    issues: list[ValidationIssue] = []
    framework: Framework | None = None
    try:
        framework = load_framework(root / FRAMEWORK_FILE)
    except DataValidationError as err:
        issues.extend(err.issues)
    tables: dict[str, tuple[str, pd.DataFrame]] = {}
    for name in C.TABLES:
        path = find_table(root, name)
        if path is None:
            if name in C.REQUIRED_TABLES:
                issues.append(
                    ValidationIssue(
                        f"{name}.csv", f"missing: expected {name}.csv or {name}.parquet in {root}"
                    )
                )
            continue
        try:
            tables[name] = (path.name, read_table(path, SCHEMAS[name]))
        except DataValidationError as err:
            issues.extend(err.issues)
    if issues:
        raise DataValidationError(issues)
    assert framework is not None
    issues = _cross_checks(framework, tables)
    if issues:
        raise DataValidationError(issues)
    manifest: dict[str, Any] = {}
    if (root / MANIFEST_FILE).exists():
        manifest = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))
    return World(
        framework=framework,
        catalog=tables["catalog"][1],
        learners=tables["learners"][1],
        assessments=tables["assessments"][1],
        events=tables["events"][1],
        outcomes=tables["outcomes"][1] if "outcomes" in tables else None,
        manifest=manifest,
        root=root,
    )
