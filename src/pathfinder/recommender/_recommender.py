"""The Recommender: fit on a world, recommend paths, observe new evidence, save and load."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pathfinder import trees
from pathfinder.data import Priority, World, parse_framework
from pathfinder.data import columns as C
from pathfinder.errors import ConfigError, NotFittedError, UnknownLearnerError
from pathfinder.history import (
    VERB,
    AssessmentArrays,
    EventArrays,
    days,
    engagement_weights,
    from_days,
    skill_observations,
)
from pathfinder.ranking import RANK_FEATURES, CompletionChance, PathRanker
from pathfinder.recommender._capacity import CapacityLedger
from pathfinder.recommender._config import RecommenderConfig
from pathfinder.recommender._engine import Engine, LearnerSnapshot
from pathfinder.recommender._registry import LearnerRegistry
from pathfinder.recommender._seen import SeenEvidence
from pathfinder.recommender._slate import build_slate
from pathfinder.recommender._training import build_engine, ranker_examples, world_arrays
from pathfinder.schemas import GapOut, RecommendRequest, RecommendResponse, StepOut
from pathfinder.sequencing import LearnerContext, PathSequencer, PlannedStep

__all__ = ["Policy", "PolicyView", "Recommender"]


@dataclass(frozen=True)
class PolicyView:
    """What a candidate policy sees for one request."""

    engine: Engine
    snapshot: LearnerSnapshot
    row: int | None
    """The learner's row in the model (None for a cold start)."""
    user: np.ndarray
    """CF factors of the learner (zeros for a cold start)."""
    completed: set[int]
    excluded: set[int]
    engaged: dict[int, float]
    """The learner's engagement weight per item so far (empty for a cold start)."""

    def eligible(self) -> np.ndarray:
        """Items in scope, in an acceptable language, neither completed nor excluded."""
        return self.engine.eligible(self.snapshot, self.completed, self.excluded)


#: Chooses candidate item positions and their scores (higher is better) for one request.
#: A policy with a true ``presorted`` attribute has already spread its scores over gap skills:
#: the sequencer then keeps their order (no variety decay on top).
Policy = Callable[[PolicyView], tuple[np.ndarray, np.ndarray]]

log = logging.getLogger(__name__)


class Recommender:
    """Personalised learning paths inside a competency framework.

    Parameters
    ----------
    config : RecommenderConfig, optional

    Examples
    --------
    >>> rec = Recommender().fit(load_world("data/synthetic/small"))   # doctest: +SKIP
    >>> rec.recommend(RecommendRequest(learner_id="l000001")).steps[0].item_id  # doctest: +SKIP
    """

    def __init__(self, config: RecommenderConfig | None = None) -> None:
        self.config = config or RecommenderConfig()

    # ================================================================== fit
    def fit(self, world: World, as_of: dt.datetime | None = None) -> Recommender:
        """Learn every component from ``world`` using evidence before ``as_of``.

        ``as_of`` defaults to just after the latest event or assessment.
        """
        started = time.perf_counter()
        fw = world.framework
        catalog, people, events, assessments = world_arrays(world)
        latest = max(events.t.max(initial=0.0), assessments.t.max(initial=0.0))
        t_fit = days(pd.Series([pd.Timestamp(as_of)]))[0] if as_of else latest + 1e-6
        X, y, sizes = ranker_examples(fw, catalog, people, events, assessments, t_fit, self.config)
        self.ranker_ = PathRanker(self.config.ranker).fit(X, y, sizes)
        self.completion_ = CompletionChance().fit(X, y)
        self.engine_, _ = build_engine(fw, catalog, people, events, assessments, t_fit, self.config)
        before = events.before(t_fit)
        self.registry_ = LearnerRegistry(
            list(people.ids), people.role.tolist(), people.region.tolist(), list(people.language)
        )
        self._absorb_engagement(before)
        self.user_factors_ = self.engine_.cf.user_factors_.copy()
        self.dirty_: set[int] = set()
        self.clock_ = float(t_fit)
        self.seen_ = SeenEvidence.of(
            world.events[days(world.events[C.TIMESTAMP]) < t_fit],
            world.assessments[days(world.assessments[C.ASSESSED_AT]) < t_fit],
        )
        self.training_summary_ = {
            "queries": len(sizes),
            "examples": len(y),
            "label_counts": np.bincount(y.astype(int), minlength=4).tolist(),
            "fit_seconds": round(time.perf_counter() - started, 2),
        }
        self.model_version_ = self._version(world)
        self._ready()
        log.info("fitted %s in %.1fs", self.model_version_, self.training_summary_["fit_seconds"])
        return self

    def _version(self, world: World) -> str:
        digest = hashlib.sha256()
        digest.update(self.config.model_dump_json().encode())
        digest.update(json.dumps(world.manifest.get("files", {}), sort_keys=True).encode())
        digest.update(f"{world.framework.version}|{self.clock_:.6f}".encode())
        digest.update(str(world.summary()).encode())
        return f"{world.framework.version}-{digest.hexdigest()[:10]}"

    def reset_capacity(self) -> None:
        """Release every seat held by served paths (e.g. between evaluation runs)."""
        self._check()
        self.ledger_ = CapacityLedger(self.engine_.catalog.capacity)

    def _ready(self) -> None:
        self.sequencer_ = PathSequencer(self.config.sequencer)
        self.presorted_sequencer_ = PathSequencer(
            self.config.sequencer.model_copy(update={"variety_decay": 1.0})
        )
        self.ledger_ = CapacityLedger(self.engine_.catalog.capacity)
        self.item_index_ = self.engine_.catalog.index_of()
        self.skill_index_ = {s: k for k, s in enumerate(self.engine_.framework.skill_ids)}
        for booster in (self.ranker_.booster_, self.engine_.skills.booster_):
            if booster is not None:  # compiled now, not by the first request
                trees.compiled(booster)

    def _absorb_engagement(self, events: EventArrays) -> None:
        w = engagement_weights(events)
        for learner, item, verb, weight in zip(
            events.learner.tolist(),
            events.item.tolist(),
            events.verb.tolist(),
            w.tolist(),
            strict=True,
        ):
            if weight > 0:
                eng = self.registry_.engagement[learner]
                eng[item] = eng.get(item, 0.0) + weight
            if verb == VERB["completed"]:
                self.registry_.completed[learner].add(item)

    def _check(self) -> None:
        if not hasattr(self, "engine_"):
            raise NotFittedError("Recommender is not fitted: call fit() or Recommender.load()")

    # ================================================================== properties
    @property
    def framework_version(self) -> str:
        self._check()
        return self.engine_.framework.version

    @property
    def model_version(self) -> str:
        self._check()
        return self.model_version_

    def knows(self, learner_id: str) -> bool:
        self._check()
        row = self.registry_.index.get(learner_id)
        return row is not None and row not in self.registry_.erased

    # ================================================================== recommend
    def _clock(self, as_of: dt.datetime | None) -> float:
        if as_of is not None:
            ts = pd.Timestamp(as_of)
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            return float(days(pd.Series([ts]))[0])
        if self.config.clock == "wall":
            return time.time() / 86_400.0
        return self.clock_

    def _resolve(self, req: RecommendRequest) -> tuple[int | None, int, int, str | None]:
        """(row or None for cold start, role, region, language) of a request's learner."""
        fw = self.engine_.framework
        row = self.registry_.index.get(req.learner_id)
        if row is not None:
            erased = row in self.registry_.erased
            return (
                None if erased else row,
                self.registry_.role[row],
                self.registry_.region[row],
                req.language or self.registry_.language[row],
            )
        if req.role is None and req.region is None:
            raise UnknownLearnerError(
                f"unknown learner '{req.learner_id}': send 'role' and 'region' for a cold-start "
                "path, or ingest the learner's events first"
            )
        role = self._lookup(fw.role_ids, req.role, "role")
        region = self._lookup(fw.region_ids, req.region, "region")
        return None, role, region, req.language

    @staticmethod
    def _lookup(ids: list[str], value: str | None, field: str) -> int:
        if value is None:
            return -1
        try:
            return ids.index(value)
        except ValueError:
            raise ConfigError(
                f"{field} '{value}' is not in the framework (known: {', '.join(ids)})"
            ) from None

    def _user_vector(self, row: int | None) -> np.ndarray:
        cf = self.engine_.cf
        if row is None:
            return np.zeros(cf.item_factors_.shape[1])
        if row in self.dirty_ or row >= len(self.user_factors_):
            eng = self.registry_.engagement[row]
            items = np.fromiter(eng, dtype=np.int64, count=len(eng))
            vec = cf.fold_in(items, np.fromiter(eng.values(), dtype=float, count=len(eng)))
            if row >= len(self.user_factors_):
                grow = np.zeros((row + 1 - len(self.user_factors_), len(vec)))
                self.user_factors_ = np.vstack([self.user_factors_, grow])
            self.user_factors_[row] = vec
            self.dirty_.discard(row)
        return self.user_factors_[row]

    def _codes(self, ids: list[str], index: dict[str, int], field: str) -> np.ndarray:
        unknown = [x for x in ids if x not in index]
        if unknown:
            raise ConfigError(f"{field}: unknown id(s) {', '.join(map(repr, unknown[:5]))}")
        return np.array([index[x] for x in ids], dtype=np.int64)

    def recommend(self, request: RecommendRequest) -> RecommendResponse:
        """An ordered, scheduled path for one learner (see :class:`RecommendRequest`).

        Raises
        ------
        UnknownLearnerError
            The learner is unknown and the request names neither role nor region.
        ConfigError
            A goal skill, excluded item, role or region the framework does not know.
        """
        return self.recommend_with(request, self._model_policy)

    def _model_policy(self, view: PolicyView) -> tuple[np.ndarray, np.ndarray]:
        cands, X = self.engine_.score_view(
            view.snapshot, view.user, view.completed, view.excluded, view.engaged
        )
        return self.slate(view.snapshot, cands, X)

    def slate(
        self,
        snapshot: LearnerSnapshot,
        cands: np.ndarray,
        X: np.ndarray,
        chances: np.ndarray | None = None,
        gain_weight: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidates in slate order and their marginal values (see ``_slate``).

        A slate: likely completions first, the later positions to what closes gaps (expected
        gap closure: weighted gap x gain x level fit, discounted where the framework's
        prerequisite skills are not yet mastered, times the chance of finishing the item once
        started); a path should be both taken and worth taking. ``chances`` (the chance of
        taking each candidate) defaults to the ranker's and ``gain_weight`` to the config's;
        analysis passes others (``benchmarks/bench_frontier.py``).
        """
        if not len(cands):
            return cands, np.zeros(0)
        closure = X[:, RANK_FEATURES.index("ready_gap_coverage_fit")].astype(float)
        if self.config.expected_closure:
            closure = closure * self.completion_.predict(X)
        gap_skill = (self.engine_.catalog.gains[cands] * snapshot.weighted_gap).argmax(axis=1)
        order, value = build_slate(
            self.ranker_.predict(X) if chances is None else chances,
            closure,
            gap_skill,
            self.config.gain_weight if gain_weight is None else gain_weight,
            self.config.slate_size,
            self.config.sequencer.variety_decay,
        )
        return cands[order], value

    _model_policy.presorted = True  # type: ignore[attr-defined]

    def recommend_with(self, request: RecommendRequest, policy: Policy) -> RecommendResponse:
        """Like :meth:`recommend`, with ``policy`` choosing and scoring the candidates.

        Offline evaluation passes baseline policies (random, popularity, CF only, gap rule)
        here, so every policy goes through the same gaps, eligibility and sequencer.
        """
        self._check()
        req = request
        eng = self.engine_
        t = self._clock(req.as_of)
        row, role, region, language = self._resolve(req)
        goals = self._codes(req.goal_skills, self.skill_index_, "goal_skills")
        excluded = set(self._codes(req.exclude_items, self.item_index_, "exclude_items").tolist())
        snap = eng.snapshot(row, role, region, language, t, goals)
        completed = self.registry_.completed[row] if row is not None else set()
        engaged = self.registry_.engagement[row] if row is not None else {}
        view = PolicyView(eng, snap, row, self._user_vector(row), completed, excluded, engaged)
        cands, scores = policy(view)
        order = np.lexsort((cands, -scores))
        steps = self._sequence(
            req,
            snap,
            row,
            completed,
            excluded,
            cands[order],
            scores[order],
            t,
            presorted=getattr(policy, "presorted", False),
        )
        return self._response(req, snap, steps, t, degraded=False, cold=row is None)

    def fallback(self, request: RecommendRequest) -> RecommendResponse:
        """A non-personalised path (popular in role/region, framework rules still applied).

        Used when the model fails or is too slow; flagged ``degraded``. Never raises for a
        learner whose role/region is known or given.
        """
        self._check()
        req = request
        eng = self.engine_
        t = self._clock(req.as_of)
        row, role, region, language = self._resolve(req)
        fw = eng.framework
        n_skills = len(fw.skills)
        targets = eng.role_targets[role] if role >= 0 else np.zeros(n_skills)
        snap = LearnerSnapshot(
            np.zeros(n_skills),
            np.ones(n_skills),
            targets,
            np.ones(n_skills),
            targets,
            targets,
            eng.languages(language, region),
            region,
            role,
        )
        completed = self.registry_.completed[row] if row is not None else set()
        excluded = {self.item_index_[x] for x in req.exclude_items if x in self.item_index_}
        eligible = eng.eligible(snap, completed, excluded)
        pop = eng.popularity[eng.group(role, region)]
        cands = np.flatnonzero(eligible)
        order = np.lexsort((cands, -pop[cands]))[: 4 * req.max_steps + 20]
        steps = self._sequence(
            req, snap, row, completed, excluded, cands[order], pop[cands][order], t
        )
        return self._response(req, snap, steps, t, degraded=True, cold=row is None)

    def _sequence(
        self,
        req: RecommendRequest,
        snap: LearnerSnapshot,
        row: int | None,
        completed: set[int],
        excluded: set[int],
        cands: np.ndarray,
        scores: np.ndarray,
        t: float,
        presorted: bool = False,
    ) -> list[PlannedStep]:
        """Schedule the ranked candidates; ``presorted`` scores already spread the path over gap
        skills (the sequencer keeps their order instead of decaying repeated skills again)."""
        fw = self.engine_.framework
        review: tuple[int, ...] = ()
        if row is not None:
            practised = ~np.isnan(self.engine_.skills.state_.t_practice[row])
            fading = practised & (snap.proficiency < snap.targets - self.config.review_threshold)
            review = tuple(
                int(s)
                for s in np.flatnonzero(fading)[
                    np.argsort(-snap.weighted_gap[fading], kind="stable")
                ]
            )
        ctx = LearnerContext(
            proficiency=snap.proficiency,
            gaps=snap.weighted_gap,
            targets=snap.targets,
            priority=snap.priority,
            languages=snap.languages,
            region=snap.region,
            local_share=fw.regions[snap.region].local_share if snap.region >= 0 else 0.0,
            completed=frozenset(completed),
            excluded=frozenset(excluded),
            review_skills=review,
            weekly_minutes=float(req.weekly_minutes or fw.policy.weekly_minutes),
            horizon_weeks=req.horizon_weeks,
            max_steps=req.max_steps,
        )
        week0 = int(t // 7)
        finite = np.isfinite(self.engine_.catalog.capacity)
        ledger = self.ledger_
        with ledger.lock:
            ledger.release(req.learner_id)
            sequencer = self.presorted_sequencer_ if presorted else self.sequencer_
            steps = sequencer.sequence(
                ctx,
                cands,
                scores,
                self.engine_.catalog,
                fw.policy,
                capacity_left=lambda item, week: ledger.left(item, week0 + week),
            )
            ledger.hold(
                req.learner_id,
                [
                    (s.item, week0 + w)
                    for s in steps
                    if finite[s.item]
                    for w in range(s.week, s.week + s.weeks)
                ],
            )
        return steps

    def _response(
        self,
        req: RecommendRequest,
        snap: LearnerSnapshot,
        steps: list[PlannedStep],
        t: float,
        degraded: bool,
        cold: bool,
    ) -> RecommendResponse:
        fw, cat = self.engine_.framework, self.engine_.catalog
        skills = cat.skill_ids  # the framework's, kept as a list (fw.skill_ids builds one per call)
        top = [
            s
            for s in np.argsort(-snap.weighted_gap, kind="stable")[: self.config.top_gaps]
            if snap.weighted_gap[s] > 0
        ]
        gaps = [
            GapOut.model_construct(
                skill=skills[s],
                current=round(float(snap.proficiency[s]), 4),
                uncertainty=round(float(snap.sd[s]), 4),
                target=round(float(snap.targets[s]), 4),
                gap=round(float(snap.gap[s]), 4),
                priority=round(float(snap.priority[s]), 4),
                weighted_gap=round(float(snap.weighted_gap[s]), 4),
            )
            for s in top
        ]
        out = []
        for k, step in enumerate(steps):
            i = step.item
            out.append(
                StepOut.model_construct(
                    position=k + 1,
                    item_id=str(cat.item_ids[i]),
                    title=cat.titles[i],
                    modality=C.MODALITIES[int(cat.modality[i])],
                    skills=list(cat.skills_taught[i]),
                    duration_min=float(cat.duration_min[i]),
                    week=step.week,
                    weeks=step.weeks,
                    language=step.language,
                    score=round(float(step.score), 6),
                    review=step.review,
                    gap_skill=skills[step.gap_skill],
                    reason=self._reason(step, snap),
                )
            )
        return RecommendResponse.model_construct(
            learner_id=req.learner_id,
            model_version=self.model_version_,
            framework_version=fw.version,
            degraded=degraded,
            cold_start=cold,
            as_of=from_days(t),
            top_gaps=gaps,
            steps=out,
        )

    def _reason(self, step: PlannedStep, snap: LearnerSnapshot) -> str:
        s, cat = step.gap_skill, self.engine_.catalog
        skill = cat.skill_ids[s]
        current, target = snap.proficiency[s], snap.targets[s]
        if step.review:
            text = f"spaced review: {skill} is fading ({current:.2f}, target {target:.2f})"
        elif snap.gap[s] > 0:
            text = f"closes the {skill} gap ({current:.2f} → {target:.2f})"
        else:
            text = f"builds {skill} ({current:.2f}; no target gap)"
        if snap.priority[s] != 1.0:
            text += f", strategic priority ×{snap.priority[s]:g}"
        if step.unlocks:
            text += "; prerequisite for " + ", ".join(
                f"{cat.item_ids[u]} ({cat.titles[u]})" for u in step.unlocks
            )
        return text

    def update_priorities(self, priorities: list[Priority]) -> None:
        """Replace the framework's strategic priorities without retraining.

        Priorities only weight gaps at request time, so the steering group can change them while
        the model serves. The framework version is kept; the new list is validated.
        """
        self._check()
        raw = self.engine_.framework.model_dump(mode="json")
        raw["priorities"] = [p.model_dump(mode="json") for p in priorities]
        self.engine_.set_framework(parse_framework(raw))

    # ================================================================== online updates
    def add_learner(
        self, learner_id: str, role: str | None, region: str | None, language: str | None
    ) -> int:
        """Register a learner unknown at fit time (cold start); returns its row."""
        self._check()
        if learner_id in self.registry_.index:
            return self.registry_.index[learner_id]
        fw = self.engine_.framework
        role_i = self._lookup(fw.role_ids, role, "role")
        region_i = self._lookup(fw.region_ids, region, "region")
        lang = language or (fw.regions[region_i].languages[0] if region_i >= 0 else "en")
        targets = self.engine_.role_targets[role_i] if role_i >= 0 else np.zeros(len(fw.skills))
        srow = self.engine_.skills.add_learner(role_i, targets)
        row = self.registry_.add(learner_id, role_i, region_i, lang)
        assert srow == row, "skill state and registry rows diverged"
        return row

    def observe_events(self, events: pd.DataFrame) -> int:
        """Apply validated events (contract columns) at once: skill state, completions, CF.

        Events the model was trained on (same ``event_id``) are skipped: they already count.
        Returns how many were applied.
        """
        self._check()
        events = events[self.seen_.unseen_events(events)]
        if events.empty:
            return 0
        for learner in events[C.LEARNER_ID].unique():
            if learner not in self.registry_.index:
                self.add_learner(learner, None, None, None)
        unknown = ~events[C.ITEM_ID].isin(list(self.item_index_))
        if unknown.any():
            raise ConfigError(
                f"events name items not in the model's catalogue: "
                f"{sorted(set(events.loc[unknown, C.ITEM_ID]))[:5]}"
            )
        arrays = EventArrays.from_frame(events, self.registry_.index, self.item_index_)
        empty = AssessmentArrays(
            *(np.zeros(0, dtype=d) for d in (np.int64, np.int64, float, float, np.int64))
        )
        self.engine_.skills.observe(skill_observations(arrays, empty, self.engine_.catalog))
        self._absorb_engagement(arrays)
        self.dirty_.update(arrays.learner.tolist())
        self.registry_.erased.difference_update(arrays.learner.tolist())
        self.clock_ = max(self.clock_, float(arrays.t.max(initial=self.clock_)))
        return len(events)

    def observe_assessments(self, assessments: pd.DataFrame) -> int:
        """Apply validated assessments (contract columns) to the skill state at once.

        Assessments the model was trained on (same learner, skill, time, method, score) are
        skipped: they already count. Returns how many were applied.
        """
        self._check()
        assessments = assessments[self.seen_.unseen_assessments(assessments)]
        if assessments.empty:
            return 0
        for learner in assessments[C.LEARNER_ID].unique():
            if learner not in self.registry_.index:
                self.add_learner(learner, None, None, None)
        arrays = AssessmentArrays.from_frame(assessments, self.registry_.index, self.skill_index_)
        empty = EventArrays(
            *(np.zeros(0, dtype=d) for d in (np.int64, np.int64, np.int64, float, float, float))
        )
        self.engine_.skills.observe(skill_observations(empty, arrays, self.engine_.catalog))
        self.registry_.erased.difference_update(arrays.learner.tolist())
        self.clock_ = max(self.clock_, float(arrays.t.max(initial=self.clock_)))
        return len(assessments)

    def forget_learner(self, learner_id: str) -> bool:
        """Erase a learner's evidence, factors and holds; returns whether they were known."""
        self._check()
        row = self.registry_.index.get(learner_id)
        if row is None:
            return False
        self.registry_.forget(row)
        self.engine_.skills.forget(row)
        if row < len(self.user_factors_):
            self.user_factors_[row] = 0.0
        self.dirty_.discard(row)
        with self.ledger_.lock:
            self.ledger_.release(learner_id)
        return True

    # ================================================================== persistence
    def save(self, path: Path | str) -> Path:
        """Write the bundle (safe formats only: JSON, Parquet, NumPy .npz, LightGBM text)."""
        from pathfinder.recommender._bundle import save_bundle

        self._check()
        return save_bundle(self, Path(path))

    @classmethod
    def load(cls, path: Path | str, expected_framework_version: str | None = None) -> Recommender:
        """Load a bundle written by :meth:`save`.

        Raises
        ------
        ModelLoadError
            Missing, corrupt or incomplete bundle, or one trained on another framework version.
        """
        from pathfinder.recommender._bundle import load_bundle

        rec = load_bundle(cls, Path(path), expected_framework_version)
        rec._ready()
        return rec
