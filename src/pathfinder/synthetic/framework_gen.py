"""Generate a competency framework and a catalogue with hidden item properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from pathfinder.data import columns as C
from pathfinder.data.framework import Framework, parse_framework
from pathfinder.synthetic.sizes import WorldSize

DOMAINS: dict[str, list[str]] = {
    "sales": [
        "prospecting",
        "negotiation",
        "closing",
        "account_planning",
        "pricing",
        "objection_handling",
        "forecasting",
        "key_accounts",
        "sales_storytelling",
        "partner_selling",
    ],
    "leadership": [
        "feedback",
        "delegation",
        "coaching_others",
        "strategy",
        "change_leadership",
        "decision_making",
        "hiring",
        "conflict_resolution",
        "vision",
        "org_design",
    ],
    "technical": [
        "python",
        "sql",
        "cloud_basics",
        "apis",
        "testing",
        "security",
        "devops",
        "architecture",
        "ml_basics",
        "observability",
    ],
    "data": [
        "spreadsheets",
        "statistics",
        "visualisation",
        "data_literacy",
        "experimentation",
        "dashboards",
        "data_quality",
        "causal_thinking",
        "forecasting_models",
        "data_ethics",
    ],
    "communication": [
        "listening",
        "presenting",
        "writing",
        "facilitation",
        "storytelling",
        "cross_cultural",
        "influencing",
        "meetings",
        "stakeholder_mgmt",
        "remote_collab",
    ],
    "wellbeing": [
        "resilience",
        "focus",
        "time_management",
        "stress_management",
        "sleep_hygiene",
        "mindfulness",
        "boundaries",
        "energy",
        "growth_mindset",
        "psych_safety",
    ],
}
REGIONS = [
    ("emea", ["en", "de", "fr"], "Europe/Berlin", 0.2),
    ("apac", ["en", "ja", "zh"], "Asia/Singapore", 0.25),
    ("amer", ["en", "es"], "America/New_York", 0.15),
    ("latam", ["es", "pt", "en"], "America/Sao_Paulo", 0.2),
]
ROLE_NAMES = [
    "account_exec",
    "sales_manager",
    "engineer",
    "data_analyst",
    "team_lead",
    "product_manager",
    "consultant",
    "hr_partner",
    "support_agent",
    "marketing",
    "finance_analyst",
    "operations",
]
MODALITY_SHARE = {"microlearning": 0.65, "coaching": 0.15, "project": 0.20}
START = dt.date(2025, 1, 6)  # a Monday; the synthetic year starts here


def make_framework(size: WorldSize, rng: np.random.Generator) -> Framework:
    """A framework with a prerequisite DAG per domain, role targets, dated scoped priorities."""
    names = list(DOMAINS)
    skills: list[dict[str, Any]] = []
    per_domain: dict[str, list[str]] = {d: [] for d in names}
    for k in range(size.skills):
        domain = names[k % len(names)]
        base = DOMAINS[domain][(k // len(names)) % 10]
        sid = base if k < 60 else f"{base}_{k // 60 + 1}"
        prereqs = []
        chain = per_domain[domain]
        if chain and rng.random() < 0.7:
            prereqs.append(chain[-1])
            if len(chain) > 2 and rng.random() < 0.2:
                prereqs.append(chain[-3])
        skills.append(
            {
                "id": sid,
                "name": sid.replace("_", " ").title(),
                "domain": domain,
                "prerequisites": prereqs,
            }
        )
        chain.append(sid)
    roles = []
    for r in range(size.roles):
        main = [names[(2 * r) % len(names)], names[(2 * r + 1) % len(names)]]
        targets: dict[str, float] = {}
        for d in main:
            for sid in per_domain[d]:
                if rng.random() < 0.8:
                    targets[sid] = round(float(rng.uniform(0.6, 0.9)), 2)
        for sid in rng.choice([s["id"] for s in skills], size=3, replace=False):
            targets.setdefault(str(sid), round(float(rng.uniform(0.4, 0.6)), 2))
        roles.append(
            {
                "id": ROLE_NAMES[r % len(ROLE_NAMES)] + ("" if r < 12 else f"_{r}"),
                "targets": targets,
            }
        )
    regions = [
        {"id": rid, "languages": langs, "timezone": tz, "local_share": share}
        for rid, langs, tz, share in REGIONS[: size.regions]
    ]

    def week(w: int) -> dt.date:
        return START + dt.timedelta(weeks=w)

    skill_ids = [s["id"] for s in skills]
    priorities = [
        {"skill": skill_ids[1], "weight": 1.3, "note": "company-wide, open-ended"},
        {
            "skill": skill_ids[0],
            "weight": 1.5,
            "regions": [regions[-1]["id"]],
            "roles": [roles[0]["id"]],
            "start": week(size.weeks // 3),
            "end": dt.date(2027, 12, 31),
            "note": f"grow {regions[-1]['id']}: {skill_ids[0]} x1.5 until 2027",
        },
        {
            "skill": skill_ids[5 % len(skill_ids)],
            "weight": 1.4,
            "regions": [regions[0]["id"]],
            "start": START,
            "end": week(size.weeks // 2) - dt.timedelta(days=1),
            "note": "first-half campaign, then ends",
        },
        {
            "skill": skill_ids[2],
            "weight": 1.6,
            "start": week(2 * size.weeks // 3),
            "note": "new priority in the last third of the year",
        },
    ]
    raw = {
        "version": "synthetic-1",
        "skills": skills,
        "roles": roles,
        "priorities": priorities,
        "regions": regions,
        "policy": {
            "core_share": 0.8,
            "weekly_minutes": 120,
            "mastery": 0.6,
            "modality_progression": {"microlearning": 0.0, "coaching": 0.3, "project": 0.5},
        },
    }
    return parse_framework(raw)


def make_catalog(
    fw: Framework, size: WorldSize, rng: np.random.Generator, taste_dim: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Catalogue table plus hidden item taste vectors and popularity.

    Returns
    -------
    catalog : DataFrame in the parsed form of the catalogue contract
    taste : ndarray of shape (n_items, taste_dim)
    popularity : ndarray of shape (n_items,)
    """
    n = size.items
    skill_ids = fw.skill_ids
    domain_of = {s.id: s.domain for s in fw.skills}
    by_domain: dict[str, list[str]] = {}
    for s in fw.skills:
        by_domain.setdefault(s.domain, []).append(s.id)
    modality = rng.choice(list(MODALITY_SHARE), size=n, p=list(MODALITY_SHARE.values()))
    primary = rng.integers(0, len(skill_ids), size=n)
    base_level = rng.beta(2.0, 2.2, size=n)
    level = np.round(
        np.where(modality == "microlearning", base_level * 0.9, 0.25 + 0.75 * base_level), 2
    )
    duration = np.where(
        modality == "microlearning",
        rng.integers(5, 31, size=n),
        np.where(
            modality == "coaching",
            rng.choice([30, 45, 60], size=n),
            rng.integers(2, 9, size=n) * 60,
        ),
    )
    local = rng.random(n) < 0.2
    region_of = rng.integers(0, len(fw.regions), size=n)
    rows = []
    for i in range(n):
        sid = skill_ids[primary[i]]
        skills = [sid]
        gains = [round(float(rng.uniform(0.15, 0.35)), 2)]
        if rng.random() < 0.4:
            other = [s for s in by_domain[domain_of[sid]] if s != sid]
            if other:
                skills.append(str(rng.choice(other)))
                gains.append(round(float(rng.uniform(0.05, 0.15)), 2))
        if local[i]:
            reg = fw.regions[region_of[i]]
            scope = reg.id
            langs = [reg.languages[0]] + [lg for lg in reg.languages[1:] if rng.random() < 0.3]
        else:
            scope = C.GLOBAL_SCOPE
            others = {lg for r in fw.regions for lg in r.languages if lg != "en"}
            langs = ["en", *(lg for lg in sorted(others) if rng.random() < 0.35)]
        domain = domain_of[sid]
        partner = f"{domain}-academy" if rng.random() < 0.6 else ("globallearn", "skillhub")[i % 2]
        capacity = {"coaching": 4 + size.learners // 200, "project": 2 + size.learners // 400}
        rows.append(
            {
                C.ITEM_ID: f"i{i:05d}",
                C.TITLE: f"{sid.replace('_', ' ').title()} {modality[i]} {i}",
                C.MODALITY: str(modality[i]),
                C.SKILLS: skills,
                C.GAINS: gains,
                C.LEVEL: float(level[i]),
                C.DURATION_MIN: float(duration[i]),
                C.LANGUAGES: langs,
                C.SCOPE: scope,
                C.PARTNER: partner,
                C.PREREQUISITES: [],
                C.CAPACITY_PER_WEEK: float(capacity[str(modality[i])])
                if modality[i] != "microlearning"
                else np.nan,
                C.ACTIVITY_ID: f"https://content.{partner}.example/xapi/{i:05d}"
                if i % 3 == 0
                else None,
            }
        )
    catalog = pd.DataFrame(rows)
    # item prerequisites: a harder item may require an easier item on the same primary skill
    prerequisites: list[list[str]] = [[] for _ in range(n)]
    for hard in np.flatnonzero(level > 0.4):
        if rng.random() < 0.7:
            easier = np.flatnonzero((primary == primary[hard]) & (level < level[hard] - 0.2))
            if len(easier):
                prerequisites[hard] = [f"i{int(rng.choice(easier)):05d}"]
    catalog[C.PREREQUISITES] = prerequisites
    taste = rng.normal(0.0, 1.0, size=(n, taste_dim))
    popularity = rng.normal(0.0, 0.6, size=n)
    return catalog, taste, popularity
