"""The learned components and the per-learner scoring pipeline (gaps -> candidates -> features).

Training builds one engine per decision time (from history before it); serving uses the final
one. Both go through :meth:`Engine.score_view`, so training features and serving features are
computed by the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pathfinder.candidates import CandidateConfig, CFModel, gap_scores, top_k
from pathfinder.catalog import CatalogArrays, padded
from pathfinder.data import Framework
from pathfinder.errors import ConfigError
from pathfinder.gaps import goal_targets, weighted_gaps
from pathfinder.history import from_days
from pathfinder.ranking import LearnerView, rank_features, skill_readiness
from pathfinder.skills import SkillStateModel

__all__ = ["Engine", "LearnerSnapshot"]

NO_LANGUAGE = 99.0


@dataclass(frozen=True)
class LearnerSnapshot:
    """One learner's state at one time, as the scoring pipeline sees it (arrays over skills)."""

    proficiency: np.ndarray
    sd: np.ndarray
    targets: np.ndarray
    priority: np.ndarray
    gap: np.ndarray
    weighted_gap: np.ndarray
    languages: tuple[str, ...]
    region: int
    role: int


class Engine:
    """Skill model, CF model, popularity and catalogue masks, as of one time."""

    def __init__(
        self,
        framework: Framework,
        catalog: CatalogArrays,
        skills: SkillStateModel,
        cf: CFModel,
        popularity: np.ndarray,
        config: CandidateConfig,
        goal_target: float = 0.8,
    ) -> None:
        self.framework = framework
        self.catalog = catalog
        self.skills = skills
        self.cf = cf
        self.popularity = popularity  # (n_roles * n_regions + 1, n_items); last row global
        self.config = config
        self.goal_target = goal_target
        self.n_regions = len(framework.regions)
        self.role_targets = np.stack([framework.target_vector(r) for r in framework.role_ids])
        self.skill_prereq_matrix = padded(
            [
                np.array([framework.skill_ids.index(q) for q in s.prerequisites], dtype=np.int64)
                for s in framework.skills
            ]
        )
        langs = sorted({lg for item in catalog.languages for lg in item})
        self.language_masks = {
            lg: np.array([lg in item for item in catalog.languages]) for lg in langs
        }
        self.scope_masks = [
            (catalog.scope < 0) | (catalog.scope == k) for k in range(self.n_regions)
        ] + [catalog.scope < 0]
        self._priorities = lru_cache(maxsize=4096)(self._priority_vector)

    def set_framework(self, framework: Framework) -> None:
        """Swap in a framework with the same skills, roles and regions (e.g. new priorities)."""
        old = self.framework
        if (framework.skill_ids, framework.role_ids, framework.region_ids) != (
            old.skill_ids,
            old.role_ids,
            old.region_ids,
        ):
            raise ConfigError(
                "only priorities and policy can change without retraining; "
                "skills, roles and regions must stay the same"
            )
        self.framework = framework
        self._priorities.cache_clear()

    # ------------------------------------------------------------ learner state
    def group(self, role: int, region: int) -> int:
        if role < 0 or region < 0:
            return len(self.popularity) - 1
        return role * self.n_regions + region

    def _priority_vector(self, region: int, role: int, day: dt.date) -> np.ndarray:
        """Priorities in force; for an unknown region/role only the unscoped ones apply."""
        fw = self.framework
        region_id = fw.region_ids[region] if region >= 0 else ""
        role_id = fw.role_ids[role] if role >= 0 else ""
        return fw.priority_vector(region_id, role_id, day)

    def languages(self, preferred: str | None, region: int) -> tuple[str, ...]:
        """Acceptable languages: the preferred one, then the region's in its order."""
        out: list[str] = [preferred] if preferred else []
        if region >= 0:
            out += [lg for lg in self.framework.regions[region].languages if lg not in out]
        return tuple(out)

    def snapshot(
        self,
        row: int | None,
        role: int,
        region: int,
        language: str | None,
        t: float,
        goal_skills: np.ndarray | None = None,
    ) -> LearnerSnapshot:
        """Proficiency, targets, priorities and gaps of a learner at day ``t``.

        ``row`` None means a cold-start learner: the prior of their role stands in for evidence.
        """
        role_targets = (
            self.role_targets[role] if role >= 0 else np.zeros(len(self.framework.skills))
        )
        targets = (
            role_targets
            if goal_skills is None or len(goal_skills) == 0
            else goal_targets(role_targets, goal_skills, self.goal_target)
        )
        if row is None:
            prior = self.skills.group_prior_[role if role >= 0 else -1]
            proficiency = np.clip(prior, 0.0, 1.0)
            sd = np.full(len(prior), self.skills.config.prior_sd)
        else:
            p, s = self.skills.predict(np.array([row]), t, targets[None, :])
            proficiency, sd = p[0], s[0]
        priority = self._priorities(region, role, from_days(t).date())
        gap, weighted = weighted_gaps(targets, proficiency, priority)
        return LearnerSnapshot(
            proficiency,
            sd,
            targets,
            priority,
            gap,
            weighted,
            self.languages(language, region),
            region,
            role,
        )

    # ------------------------------------------------------------ candidates and features
    def eligible(
        self,
        snap: LearnerSnapshot,
        completed: set[int] | frozenset[int],
        excluded: set[int] | frozenset[int],
    ) -> np.ndarray:
        """Items a learner may be recommended: in scope, in an acceptable language, not done."""
        mask = self.scope_masks[snap.region].copy()
        lang = np.zeros(self.catalog.n_items, dtype=bool)
        for lg in snap.languages:
            if lg in self.language_masks:
                lang |= self.language_masks[lg]
        mask &= lang
        if completed:
            mask[list(completed)] = False
        if excluded:
            mask[list(excluded)] = False
        return mask

    def language_rank(self, snap: LearnerSnapshot) -> np.ndarray:
        rank = np.full(self.catalog.n_items, NO_LANGUAGE)
        for k, lg in reversed(list(enumerate(snap.languages))):
            if lg in self.language_masks:
                rank[self.language_masks[lg]] = k
        return rank

    def score_view(
        self,
        snap: LearnerSnapshot,
        user: np.ndarray,
        completed: set[int],
        excluded: set[int],
        engaged: Mapping[int, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate item positions and their feature matrix for one learner.

        ``engaged`` maps item positions to the learner's engagement weight so far.
        """
        cfg, cat = self.config, self.catalog
        eligible = self.eligible(snap, completed, excluded)
        if cfg.require_gap:  # teaches a skill with a weighted gap (gains are positive)
            items, skills, _ = cat.teaching
            closes = np.zeros(cat.n_items, dtype=bool)
            closes[items[snap.weighted_gap[skills] > 0]] = True
            closes &= eligible
            if closes.any():
                eligible = closes
        cf = self.cf.scores(user)
        pop = self.popularity[self.group(snap.role, snap.region)]
        gs = gap_scores(snap.weighted_gap, snap.proficiency, cat, cfg.zpd_offset, cfg.zpd_width)
        chosen = np.zeros(cat.n_items, dtype=bool)
        for scores, k in ((cf, cfg.n_cf), (gs, cfg.n_gap), (pop, cfg.n_popular)):
            chosen[top_k(scores, eligible, k)] = True
        cands = np.flatnonzero(chosen)
        done = np.zeros(cat.n_items, dtype=bool)
        if completed:
            done[list(completed)] = True
        tried = np.zeros(cat.n_items)
        if engaged:
            tried[np.fromiter(engaged, dtype=np.int64, count=len(engaged))] = list(engaged.values())
        view = LearnerView(
            proficiency=snap.proficiency,
            sd=snap.sd,
            weighted_gaps=snap.weighted_gap,
            priority=snap.priority,
            targets=snap.targets,
            skill_ready=skill_readiness(
                snap.proficiency, self.skill_prereq_matrix, self.framework.policy.mastery
            ),
            completed=done,
            cf=cf,
            popularity_group=pop,
            language_rank=self.language_rank(snap),
            engaged=tried,
        )
        X = rank_features(cands, view, cat, self.popularity[-1], cfg.zpd_offset, cfg.zpd_width)
        return cands, X
