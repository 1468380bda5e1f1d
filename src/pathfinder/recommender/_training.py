"""Fit-time work: engines as of a time, and leakage-free ranker training examples."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pathfinder.candidates import CFModel, group_popularity
from pathfinder.catalog import CatalogArrays
from pathfinder.data import Framework, World
from pathfinder.data import columns as C
from pathfinder.errors import TrainingDataError
from pathfinder.history import (
    DEFAULT_CONFIDENCE,
    VERB,
    AssessmentArrays,
    EventArrays,
    confidence_matrix,
    engagement_weights,
    skill_observations,
)
from pathfinder.recommender._config import RecommenderConfig
from pathfinder.recommender._engine import Engine
from pathfinder.skills import SkillStateModel

__all__ = ["Population", "build_engine", "ranker_examples", "world_arrays"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Population:
    """The learners of a world as arrays (row = learner index)."""

    ids: list[str]
    role: np.ndarray
    region: np.ndarray
    language: list[str]

    @classmethod
    def from_world(cls, world: World) -> Population:
        fw, people = world.framework, world.learners
        return cls(
            ids=people[C.LEARNER_ID].tolist(),
            role=people[C.ROLE]
            .map({r: k for k, r in enumerate(fw.role_ids)})
            .to_numpy(dtype=np.int64),
            region=people[C.REGION]
            .map({r: k for k, r in enumerate(fw.region_ids)})
            .to_numpy(dtype=np.int64),
            language=people[C.LANGUAGE].tolist(),
        )


def world_arrays(
    world: World,
) -> tuple[CatalogArrays, Population, EventArrays, AssessmentArrays]:
    """The catalogue, learners, events and assessments of ``world`` as model arrays."""
    catalog = CatalogArrays.from_frame(world.catalog, world.framework)
    people = Population.from_world(world)
    index = {learner: k for k, learner in enumerate(people.ids)}
    events = EventArrays.from_frame(world.events, index, catalog.index_of())
    skills = {s: k for k, s in enumerate(world.framework.skill_ids)}
    return catalog, people, events, AssessmentArrays.from_frame(world.assessments, index, skills)


def build_engine(
    framework: Framework,
    catalog: CatalogArrays,
    people: Population,
    events: EventArrays,
    assessments: AssessmentArrays,
    t: float,
    config: RecommenderConfig,
) -> tuple[Engine, sparse.csr_matrix]:
    """Fit skill, CF and popularity on evidence strictly before day ``t``."""
    ev, asm = events.before(t), assessments.before(t)
    n_learners, n_items = len(people.ids), catalog.n_items
    role_targets = np.stack([framework.target_vector(r) for r in framework.role_ids])
    skills = SkillStateModel(config.skills).fit(
        skill_observations(ev, asm, catalog),
        group=people.role,
        targets=role_targets[people.role],
        n_groups=len(framework.roles),
    )
    conf = confidence_matrix(ev, n_learners, n_items, DEFAULT_CONFIDENCE)
    cf = CFModel(config.candidates.cf).fit(conf)
    done = ev.verb == VERB["completed"]
    n_regions = len(framework.regions)
    group = people.role * n_regions + people.region
    pop = group_popularity(
        group, ev.learner[done], ev.item[done], len(framework.roles) * n_regions, n_items
    )
    engine = Engine(framework, catalog, skills, cf, pop, config.candidates, config.goal_target)
    return engine, conf


def _completed_before(events: EventArrays, n_learners: int) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(n_learners)]
    done = events.verb == VERB["completed"]
    for learner, item in zip(
        events.learner[done].tolist(), events.item[done].tolist(), strict=True
    ):
        out[learner].add(item)
    return out


def _engaged_before(events: EventArrays, n_learners: int) -> list[dict[int, float]]:
    out: list[dict[int, float]] = [{} for _ in range(n_learners)]
    w = engagement_weights(events)
    for learner, item, weight in zip(
        events.learner.tolist(), events.item.tolist(), w.tolist(), strict=True
    ):
        if weight > 0:
            out[learner][item] = out[learner].get(item, 0.0) + weight
    return out


def _labels(
    window: EventArrays, window_asm: AssessmentArrays
) -> tuple[
    dict[int, dict[int, int]],
    dict[int, list[tuple[int, float, float]]],
    dict[int, dict[int, float]],
    dict[tuple[int, int], float],
]:
    launched: dict[int, dict[int, int]] = defaultdict(dict)
    completed_at: dict[int, dict[int, float]] = defaultdict(dict)
    quiz: dict[tuple[int, int], float] = {}
    for learner, item, verb, t, score in zip(
        window.learner.tolist(),
        window.item.tolist(),
        window.verb.tolist(),
        window.t.tolist(),
        window.score.tolist(),
        strict=True,
    ):
        launched[learner].setdefault(item, 1)
        if verb == VERB["completed"]:
            completed_at[learner].setdefault(item, t)
        elif verb in (VERB["passed"], VERB["failed"]) and score == score:
            quiz.setdefault((learner, item), score)
    assessed: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for learner, skill, t, score in zip(
        window_asm.learner.tolist(),
        window_asm.skill.tolist(),
        window_asm.t.tolist(),
        window_asm.score.tolist(),
        strict=True,
    ):
        assessed[learner].append((skill, t, score))
    return launched, assessed, completed_at, quiz


def ranker_examples(
    framework: Framework,
    catalog: CatalogArrays,
    people: Population,
    events: EventArrays,
    assessments: AssessmentArrays,
    as_of: float,
    config: RecommenderConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and query sizes from decision times before ``as_of``.

    At decision time ``td`` every feature comes from evidence before ``td`` (engines are refitted
    on it); labels come from ``[td, td + window)``: 1 launched, 2 completed, 3 completed and
    followed by measured gain: the item's quiz score, or a later assessment of a skill it teaches,
    above the estimate of that skill at ``td`` by ``gain_threshold``.
    """
    tc = config.training
    rng = np.random.default_rng(tc.seed)
    xs, ys, sizes = [], [], []
    first = float(events.t.min()) if len(events.t) else as_of
    for k in range(tc.decision_points, 0, -1):
        td = as_of - k * tc.window_days
        if td <= first:
            continue  # no history before this decision time: nothing to learn a choice from
        engine, _ = build_engine(framework, catalog, people, events, assessments, td, config)
        before = events.before(td)
        completed = _completed_before(before, len(people.ids))
        engaged = _engaged_before(before, len(people.ids))
        launched, assessed, completed_at, quiz = _labels(
            events.between(td, td + tc.window_days),
            assessments.between(td, td + tc.window_days),
        )
        active = np.array(sorted(launched))
        if len(active) > tc.max_learners:
            active = np.sort(rng.choice(active, size=tc.max_learners, replace=False))
        for row in active.tolist():
            snap = engine.snapshot(
                row, int(people.role[row]), int(people.region[row]), people.language[row], td
            )
            cands, X = engine.score_view(
                snap, engine.cf.user_factors_[row], completed[row], set(), engaged[row]
            )
            y = np.zeros(len(cands))
            seen = launched.get(row, {})
            done = completed_at.get(row, {})
            for j, item in enumerate(cands.tolist()):
                if item not in seen:
                    continue
                y[j] = 1
                if item in done:
                    y[j] = 2
                    measured = quiz.get((row, item), -1.0) - snap.proficiency[catalog.primary[item]]
                    if measured >= tc.gain_threshold or any(
                        catalog.gains[item, s] > 0
                        and t > done[item]
                        and score - snap.proficiency[s] >= tc.gain_threshold
                        for s, t, score in assessed.get(row, [])
                    ):
                        y[j] = 3
            if y.max() > 0:
                xs.append(X)
                ys.append(y)
                sizes.append(len(cands))
        log.info("decision time %d: %d queries", k, len(sizes))
    if not xs:
        raise TrainingDataError(
            "no ranker training examples: the history has no engagement in the "
            "label windows; lower training.window_days or add events"
        )
    return np.vstack(xs), np.concatenate(ys), np.array(sizes)
