"""The competency framework (``framework.yaml``): skills, roles, priorities, regions, policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pathfinder.data.columns import MODALITIES
from pathfinder.errors import DataValidationError, ValidationIssue

__all__ = [
    "Framework",
    "Policy",
    "Priority",
    "Region",
    "Role",
    "Skill",
    "find_cycle",
    "load_framework",
]

FRAMEWORK_FILE = "framework.yaml"
Modality = Literal["microlearning", "coaching", "project"]


def _default_progression() -> dict[Modality, float]:
    return {"microlearning": 0.0, "coaching": 0.3, "project": 0.5}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Skill(_Strict):
    """A skill of the framework."""

    id: str = Field(min_length=1, description="Opaque skill id, unique in the framework.")
    name: str = Field(min_length=1, description="Human-readable name.")
    domain: str = Field(min_length=1, description="Domain, e.g. technical, leadership, wellbeing.")
    prerequisites: list[str] = Field(
        default_factory=list, description="Skill ids to master first; the graph must be a DAG."
    )


class Role(_Strict):
    """A role and the proficiency (0..1) it needs per skill."""

    id: str = Field(min_length=1)
    name: str | None = None
    targets: dict[str, float] = Field(description="Skill id -> target proficiency in [0, 1].")

    @field_validator("targets")
    @classmethod
    def _targets_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        for skill, target in v.items():
            if not 0.0 <= target <= 1.0:
                raise ValueError(f"target of skill '{skill}' must be in [0, 1], found {target}")
        return v


class Priority(_Strict):
    """A strategic priority: multiplies the weight of a skill's gap, optionally scoped and dated."""

    skill: str = Field(min_length=1)
    weight: float = Field(gt=0, le=10, description="Gap multiplier, e.g. 1.5.")
    regions: list[str] = Field(default_factory=list, description="Empty: every region.")
    roles: list[str] = Field(default_factory=list, description="Empty: every role.")
    start: dt.date | None = Field(default=None, description="First day in force (inclusive).")
    end: dt.date | None = Field(default=None, description="Last day in force (inclusive).")
    note: str | None = None

    def applies(self, region: str, role: str, on: dt.date) -> bool:
        """Whether this priority is in force for a learner of ``region``/``role`` on ``on``."""
        if self.regions and region not in self.regions:
            return False
        if self.roles and role not in self.roles:
            return False
        if self.start is not None and on < self.start:
            return False
        return not (self.end is not None and on > self.end)


class Region(_Strict):
    """A region: its languages in preference order, timezone and share of local content."""

    id: str = Field(min_length=1)
    languages: list[str] = Field(min_length=1, description="Preference order; first is default.")
    timezone: str = Field(description="IANA timezone, e.g. Europe/Berlin.")
    local_share: float = Field(ge=0, le=1, description="Share of a path from regional items.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown IANA timezone '{v}' (e.g. 'Europe/Berlin')") from err
        return v


class Policy(_Strict):
    """Path policy shared by every region unless the region overrides it."""

    core_share: float = Field(default=0.8, ge=0, le=1, description="Share of global core items.")
    weekly_minutes: int = Field(default=120, gt=0, le=40 * 60, description="Default time budget.")
    mastery: float = Field(
        default=0.6, gt=0, le=1, description="Proficiency at which a prerequisite skill counts met."
    )
    modality_progression: dict[Modality, float] = Field(
        default_factory=_default_progression,
        description="Minimum proficiency in a skill before a step of this modality on it.",
    )


class Framework(_Strict):
    """The whole competency framework. Build with :func:`load_framework` to get every check."""

    version: str = Field(min_length=1)
    skills: list[Skill] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    priorities: list[Priority] = Field(default_factory=list)
    regions: list[Region] = Field(min_length=1)
    policy: Policy = Field(default_factory=Policy)

    # -- lookups (cheap, computed on demand)
    @property
    def skill_ids(self) -> list[str]:
        return [s.id for s in self.skills]

    @property
    def role_ids(self) -> list[str]:
        return [r.id for r in self.roles]

    @property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.regions]

    def role(self, role_id: str) -> Role:
        for r in self.roles:
            if r.id == role_id:
                return r
        raise KeyError(role_id)

    def region(self, region_id: str) -> Region:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)

    def target_vector(self, role_id: str) -> np.ndarray:
        """Targets of ``role_id`` as an array of shape (n_skills,), 0 where the role sets none."""
        index = {s: i for i, s in enumerate(self.skill_ids)}
        out = np.zeros(len(self.skills))
        for skill, target in self.role(role_id).targets.items():
            out[index[skill]] = target
        return out

    def priority_vector(self, region: str, role: str, on: dt.date) -> np.ndarray:
        """Product of the weights of priorities in force, shape (n_skills,), 1 where none."""
        index = {s: i for i, s in enumerate(self.skill_ids)}
        out = np.ones(len(self.skills))
        for p in self.priorities:
            if p.applies(region, role, on):
                out[index[p.skill]] *= p.weight
        return out


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """Return one cycle of ``graph`` (node -> successors) as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on stack, 2 = done
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(graph.get(root, [])))]
        path = [root]
        state[root] = 1
        while stack:
            node, succ = stack[-1]
            nxt = next(iter(succ), None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(graph.get(nxt, []))))
    return None


def _reference_issues(fw: Framework) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []

    def issue(key: str, message: str) -> None:
        issues.append(ValidationIssue(FRAMEWORK_FILE, message, column=key))

    skills = set()
    for i, s in enumerate(fw.skills):
        if s.id in skills:
            issue(f"skills[{i}].id", f"duplicate skill id '{s.id}'")
        skills.add(s.id)
    for i, s in enumerate(fw.skills):
        for p in s.prerequisites:
            if p not in skills:
                issue(
                    f"skills[{i}].prerequisites",
                    f"skill '{s.id}' has unknown prerequisite '{p}'; expected one of the skill ids",
                )
    cycle = find_cycle({s.id: [p for p in s.prerequisites if p in skills] for s in fw.skills})
    if cycle:
        issue("skills.prerequisites", "prerequisites form a cycle: " + " -> ".join(cycle))
    seen_roles: set[str] = set()
    for i, r in enumerate(fw.roles):
        if r.id in seen_roles:
            issue(f"roles[{i}].id", f"duplicate role id '{r.id}'")
        seen_roles.add(r.id)
        for skill in r.targets:
            if skill not in skills:
                issue(
                    f"roles[{i}].targets",
                    f"role '{r.id}' has a target for unknown skill '{skill}'; "
                    "add the skill to 'skills' or fix the id",
                )
    regions = set()
    for i, reg in enumerate(fw.regions):
        if reg.id in regions:
            issue(f"regions[{i}].id", f"duplicate region id '{reg.id}'")
        regions.add(reg.id)
    for i, prio in enumerate(fw.priorities):
        if prio.skill not in skills:
            issue(f"priorities[{i}].skill", f"priority on unknown skill '{prio.skill}'")
        for reg_id in prio.regions:
            if reg_id not in regions:
                issue(f"priorities[{i}].regions", f"priority names unknown region '{reg_id}'")
        for role_id in prio.roles:
            if role_id not in seen_roles:
                issue(f"priorities[{i}].roles", f"priority names unknown role '{role_id}'")
        if prio.start and prio.end and prio.end < prio.start:
            issue(f"priorities[{i}].end", f"end {prio.end} is before start {prio.start}")
    unknown_modalities = set(fw.policy.modality_progression) - set(MODALITIES)
    if unknown_modalities:
        issue("policy.modality_progression", f"unknown modalities {sorted(unknown_modalities)}")
    return issues


def parse_framework(raw: Any, file: str = FRAMEWORK_FILE) -> Framework:
    """Validate an already-parsed YAML/JSON mapping into a :class:`Framework`."""
    if not isinstance(raw, dict):
        raise DataValidationError(
            [ValidationIssue(file, f"expected a mapping at the top, found {type(raw).__name__}")]
        )
    try:
        fw = Framework.model_validate(raw)
    except ValidationError as err:
        raise DataValidationError(
            [
                ValidationIssue(
                    file,
                    f"{e['msg']} (found {e.get('input')!r})"
                    if e["type"] != "missing"
                    else "required key is missing",
                    column=_loc(e["loc"]),
                )
                for e in err.errors()
            ]
        ) from err
    issues = _reference_issues(fw)
    if issues:
        raise DataValidationError(issues)
    return fw


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_framework(path: Path) -> Framework:
    """Load and validate ``framework.yaml``.

    Raises
    ------
    DataValidationError
        With one issue per problem: the YAML key path, what was expected and what was found.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise DataValidationError(
            [ValidationIssue(path.name, f"file not found in {path.parent}")]
        ) from err
    except yaml.YAMLError as err:
        raise DataValidationError([ValidationIssue(path.name, f"not valid YAML: {err}")]) from err
    return parse_framework(raw, path.name)
