"""Data contracts: the competency framework, the tables, and one validating loader."""

from pathfinder.data.framework import (
    Framework,
    Policy,
    Priority,
    Region,
    Role,
    Skill,
    load_framework,
    parse_framework,
)
from pathfinder.data.tables import SCHEMAS, read_table, write_table
from pathfinder.data.world import MANIFEST_FILE, World, load_world

__all__ = [
    "MANIFEST_FILE",
    "SCHEMAS",
    "Framework",
    "Policy",
    "Priority",
    "Region",
    "Role",
    "Skill",
    "World",
    "load_framework",
    "load_world",
    "parse_framework",
    "read_table",
    "write_table",
]
