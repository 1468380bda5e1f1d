"""Column names and enumerations of the data contracts (DESIGN §3), defined once."""

from __future__ import annotations

from typing import Final

# -- shared
LEARNER_ID: Final = "learner_id"
ITEM_ID: Final = "item_id"
SKILL_ID: Final = "skill_id"

# -- catalog
TITLE: Final = "title"
MODALITY: Final = "modality"
SKILLS: Final = "skills"
GAINS: Final = "gains"  # parsed companion of SKILLS: nominal gain per taught skill
LEVEL: Final = "level"
DURATION_MIN: Final = "duration_min"
LANGUAGES: Final = "languages"
SCOPE: Final = "scope"
PARTNER: Final = "partner"
PREREQUISITES: Final = "prerequisites"
CAPACITY_PER_WEEK: Final = "capacity_per_week"
ACTIVITY_ID: Final = "activity_id"

# -- learners
ROLE: Final = "role"
TEAM: Final = "team"
REGION: Final = "region"
LANGUAGE: Final = "language"
TIMEZONE: Final = "timezone"
JOINED_AT: Final = "joined_at"

# -- assessments
SCORE: Final = "score"
ASSESSED_AT: Final = "assessed_at"
METHOD: Final = "method"

# -- events
EVENT_ID: Final = "event_id"
VERB: Final = "verb"
TIMESTAMP: Final = "timestamp"
DURATION_S: Final = "duration_s"
RATING: Final = "rating"

# -- outcomes
KPI: Final = "kpi"
PERIOD: Final = "period"
VALUE: Final = "value"

# -- enumerations
MODALITIES: Final = ("microlearning", "coaching", "project")
METHODS: Final = ("test", "observation", "360", "manager")
VERBS: Final = ("launched", "progressed", "completed", "passed", "failed", "rated", "skipped")
GLOBAL_SCOPE: Final = "global"

#: Kirkpatrick level of the evidence each assessment method gives.
METHOD_KIRKPATRICK_LEVEL: Final = {"test": 2, "observation": 3, "360": 3, "manager": 3}

LIST_SEPARATOR: Final = "|"
GAIN_SEPARATOR: Final = ":"

TABLES: Final = ("catalog", "learners", "assessments", "events", "outcomes")
REQUIRED_TABLES: Final = ("catalog", "learners", "assessments", "events")
