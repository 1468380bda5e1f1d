"""Known-answer and property tests of :class:`pathfinder.sequencing.PathSequencer`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathfinder.catalog import CatalogArrays
from pathfinder.data import Policy
from pathfinder.data.columns import MODALITIES
from pathfinder.sequencing import LearnerContext, PathSequencer, PlannedStep, SequencerConfig

MICRO, COACHING, PROJECT = 0, 1, 2
LANGUAGE_POOL = ("en", "de", "fr", "es")
Capacity = Callable[[int, int], float]


def make_catalog(
    gains: np.ndarray,
    *,
    duration: Sequence[float] | None = None,
    modality: Sequence[int] | None = None,
    languages: Sequence[tuple[str, ...]] | None = None,
    scope: Sequence[int] | None = None,
    prerequisites: Sequence[Sequence[int]] | None = None,
    capacity: Sequence[float] | None = None,
) -> CatalogArrays:
    """Build catalogue arrays directly; unspecified columns get harmless defaults."""
    gains = np.asarray(gains, dtype=float)
    n, n_skills = gains.shape
    return CatalogArrays(
        item_ids=np.array([f"i{k}" for k in range(n)]),
        titles=[f"item {k}" for k in range(n)],
        skill_ids=[f"s{k}" for k in range(n_skills)],
        gains=gains,
        primary=gains.argmax(axis=1),
        level=np.full(n, 0.5),
        duration_min=np.asarray(duration if duration is not None else [30.0] * n, dtype=float),
        modality=np.asarray(modality if modality is not None else [MICRO] * n, dtype=np.int64),
        languages=list(languages) if languages is not None else [("en",)] * n,
        scope=np.asarray(scope if scope is not None else [-1] * n, dtype=np.int64),
        partner=np.zeros(n, dtype=np.int64),
        partner_names=["p"],
        domain=np.zeros(n, dtype=np.int64),
        domain_names=["technical"],
        prerequisites=[
            np.asarray(p, dtype=np.int64)
            for p in (prerequisites if prerequisites is not None else [[]] * n)
        ],
        capacity=np.asarray(capacity if capacity is not None else [math.inf] * n, dtype=float),
        activity_ids=[None] * n,
    )


def make_context(n_skills: int, **overrides: object) -> LearnerContext:
    values: dict[str, object] = {
        "proficiency": np.zeros(n_skills),
        "gaps": np.ones(n_skills),
        "targets": np.ones(n_skills),
        "priority": np.ones(n_skills),
        "languages": ("en",),
        "region": -1,
        "local_share": 0.2,
        "completed": frozenset(),
        "excluded": frozenset(),
        "review_skills": (),
        "weekly_minutes": 120.0,
        "horizon_weeks": 4,
        "max_steps": 10,
    }
    values.update(overrides)
    return LearnerContext(**values)  # type: ignore[arg-type]


def run(
    catalog: CatalogArrays,
    ctx: LearnerContext,
    candidates: Sequence[int],
    scores: Sequence[float],
    *,
    policy: Policy | None = None,
    config: SequencerConfig | None = None,
    capacity_left: Capacity | None = None,
) -> list[PlannedStep]:
    return PathSequencer(config).sequence(
        ctx,
        np.asarray(candidates, dtype=np.int64),
        np.asarray(scores, dtype=float),
        catalog,
        policy or Policy(),
        capacity_left,
    )


# --------------------------------------------------------------------------- known answers
def chain_catalog() -> CatalogArrays:
    """Skills A, B, C; items a, b, c teach them; b requires a, c requires b."""
    return make_catalog(np.eye(3) * 0.3, prerequisites=[[], [0], [1]])


def test_prerequisite_chain_comes_out_in_order_despite_reversed_scores() -> None:
    path = run(chain_catalog(), make_context(3), [2, 1, 0], [3.0, 2.0, 1.0])
    assert [s.item for s in path] == [0, 1, 2]
    assert [s.unlocks for s in path] == [(1,), (2,), ()]
    assert [s.gap_skill for s in path] == [0, 1, 2]
    assert [s.week for s in path] == [0, 0, 0]  # 3 x 30 min fit one 120-minute week


def test_missing_prerequisites_are_pulled_in_with_at_most_the_dependants_score() -> None:
    path = run(chain_catalog(), make_context(3), [2], [5.0])
    assert [s.item for s in path] == [0, 1, 2]
    assert path[2].score == 5.0
    assert path[0].score <= path[1].score <= 5.0


def test_prerequisite_already_in_the_path_is_not_pulled_again() -> None:
    path = run(chain_catalog(), make_context(3), [0, 1, 2], [3.0, 2.0, 1.0])
    assert [s.item for s in path] == [0, 1, 2]
    assert [s.score for s in path] == [3.0, 2.0, 1.0]


def test_dependant_never_starts_in_an_earlier_week_than_its_prerequisite() -> None:
    # x (100 min) fills most of week 0; c (15 min) would fit there but needs a (60 min).
    catalog = make_catalog(np.eye(3) * 0.3, duration=[100, 60, 15], prerequisites=[[], [], [1]])
    path = run(catalog, make_context(3), [0, 2], [3.0, 2.0])
    assert [(s.item, s.week) for s in path] == [(0, 0), (1, 1), (2, 1)]
    assert path[1].unlocks == (2,)
    assert path[1].score <= path[2].score == 2.0


def test_coaching_is_not_slotted_before_learning_steps_of_the_same_gap() -> None:
    # Two 100-minute micro steps on skill 0 take weeks 0 and 1; the 15-minute coaching step
    # would fit in week 0 but must follow both.
    catalog = make_catalog(
        np.array([[0.1, 0.0], [0.1, 0.0], [0.1, 0.0]]),
        duration=[100, 100, 15],
        modality=[MICRO, MICRO, COACHING],
    )
    ctx = make_context(2, proficiency=np.array([0.5, 0.0]))
    path = run(catalog, ctx, [0, 1, 2], [3.0, 2.0, 1.0])
    assert [(s.item, s.week) for s in path] == [(0, 0), (1, 1), (2, 1)]


def test_completed_prerequisite_is_not_repeated() -> None:
    ctx = make_context(3, completed=frozenset({0}))
    path = run(chain_catalog(), ctx, [2, 1, 0], [3.0, 2.0, 1.0])
    assert [s.item for s in path] == [1, 2]


def test_candidate_with_excluded_prerequisite_is_skipped() -> None:
    ctx = make_context(3, excluded=frozenset({0}))
    assert run(chain_catalog(), ctx, [2, 1], [3.0, 2.0]) == []


def test_language_falls_back_to_the_second_choice_or_drops_the_item() -> None:
    catalog = make_catalog(
        np.eye(3) * 0.3, languages=[("de", "en"), ("de",), ("en", "fr"), ("es", "fr")]
    )
    ctx = make_context(3, languages=("fr", "en"))
    path = run(catalog, ctx, [0, 1, 2], [3.0, 2.0, 1.0])
    assert {s.item: s.language for s in path} == {0: "en", 2: "fr"}


def test_coaching_waits_for_a_week_with_a_free_seat() -> None:
    catalog = make_catalog(np.array([[0.3, 0.0]]), modality=[COACHING], capacity=[4.0])
    ctx = make_context(2, proficiency=np.array([0.5, 0.0]))
    calls: list[tuple[int, int]] = []

    def seats(item: int, week: int) -> float:
        calls.append((item, week))
        return 0.0 if week == 0 else 1.0

    path = run(catalog, ctx, [0], [1.0], capacity_left=seats)
    assert [(s.item, s.week) for s in path] == [(0, 1)]
    assert (0, 0) in calls
    assert run(catalog, ctx, [0], [1.0], capacity_left=lambda i, w: 0.0) == []


def test_coaching_needs_a_learning_step_first() -> None:
    # Item 0: microlearning on skill 0; item 1: coaching on skill 0 (scored higher).
    catalog = make_catalog(np.array([[0.3, 0.0], [0.2, 0.0]]), modality=[MICRO, COACHING])
    ctx = make_context(2)
    path = run(catalog, ctx, [1, 0], [2.0, 1.0])
    assert [s.item for s in path] == [0, 1]
    assert run(catalog, ctx, [1], [2.0]) == []  # 0.0 < 0.3 and nothing to learn first


def test_long_item_starts_on_an_empty_week_and_fills_its_span() -> None:
    catalog = make_catalog(np.eye(2) * 0.3, duration=[30.0, 250.0])
    path = run(catalog, make_context(2), [0, 1], [2.0, 1.0])
    assert [(s.item, s.week, s.weeks) for s in path] == [(0, 0, 1), (1, 1, 3)]
    short_horizon = make_context(2, horizon_weeks=3)
    assert [s.item for s in run(catalog, short_horizon, [0, 1], [2.0, 1.0])] == [0]


def test_variety_decay_interleaves_gaps() -> None:
    catalog = make_catalog(np.array([[0.3, 0.0], [0.3, 0.0], [0.0, 0.3]]))
    ctx = make_context(2, max_steps=2)
    path = run(catalog, ctx, [0, 1, 2], [1.0, 0.9, 0.7], config=SequencerConfig(variety_decay=0.6))
    assert [s.item for s in path] == [0, 2]  # 0.9 * 0.6 < 0.7
    path = run(catalog, ctx, [0, 1, 2], [1.0, 0.9, 0.7], config=SequencerConfig(variety_decay=1.0))
    assert [s.item for s in path] == [0, 1]


def test_local_share_caps_regional_steps() -> None:
    catalog = make_catalog(np.full((4, 1), 0.1), scope=[0, 0, 0, -1])
    ctx = make_context(1, region=0, local_share=0.0)
    path = run(catalog, ctx, [0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0])
    assert sorted(s.item for s in path) == [0, 3]  # floor(0 x 2) + 1 regional step
    other_region = make_context(1, region=1, local_share=1.0)
    assert [s.item for s in run(catalog, other_region, [0, 1, 2, 3], [4, 3, 2, 1])] == [3]


def test_review_picks_the_strongest_completed_item_after_the_spacing() -> None:
    gains = np.array([[0.1, 0.0], [0.4, 0.0], [0.4, 0.0], [0.0, 0.3]])
    catalog = make_catalog(gains)
    ctx = make_context(2, completed=frozenset({0, 1, 2}), review_skills=(0,))
    path = run(catalog, ctx, [3], [1.0], config=SequencerConfig(review_earliest_week=2))
    assert [(s.item, s.review, s.week) for s in path] == [(3, False, 0), (1, True, 2)]


def test_mismatched_scores_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        run(chain_catalog(), make_context(3), [0, 1], [1.0])


# ------------------------------------------------------------------------- property tests
@dataclass(frozen=True)
class World:
    catalog: CatalogArrays
    ctx: LearnerContext
    candidates: np.ndarray
    scores: np.ndarray
    policy: Policy
    config: SequencerConfig
    seats: np.ndarray | None  # (n_items, horizon) seats left; None = unlimited

    def capacity_left(self) -> Capacity | None:
        if self.seats is None:
            return None
        table = self.seats
        return lambda item, week: float(table[item, week])

    def sequence(self) -> list[PlannedStep]:
        return PathSequencer(self.config).sequence(
            self.ctx, self.candidates, self.scores, self.catalog, self.policy, self.capacity_left()
        )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n_items = draw(st.sampled_from(range(5, 61)))
    n_skills = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gains = rng.choice([0.0, 0.0, 0.05, 0.1, 0.2, 0.3], size=(n_items, n_skills))
    # Most items offer English somewhere in their list, so the fallback language matters.
    languages = [
        tuple(rng.permutation(LANGUAGE_POOL)[: rng.integers(1, 4)].tolist()) for _ in range(n_items)
    ]
    languages = [
        (*lang, "en") if "en" not in lang and rng.random() < 0.6 else lang for lang in languages
    ]
    n_pre = rng.choice(3, size=n_items, p=[0.5, 0.3, 0.2])
    prerequisites = [
        sorted(set(rng.integers(0, k, size=n_pre[k]).tolist())) if k else [] for k in range(n_items)
    ]
    duration = np.where(
        rng.random(n_items) < 0.8, rng.integers(5, 121, n_items), rng.integers(121, 301, n_items)
    )
    modality = rng.choice(3, size=n_items, p=[0.6, 0.25, 0.15])
    capacity = np.where(
        (modality > 0) & (rng.random(n_items) < 0.6), rng.integers(0, 4, n_items), np.inf
    )
    catalog = make_catalog(
        gains,
        duration=duration.astype(float).tolist(),
        modality=modality.tolist(),
        languages=languages,
        scope=rng.choice([-1, -1, -1, -1, -1, 0, 1, 2], size=n_items).tolist(),
        prerequisites=prerequisites,
        capacity=capacity.tolist(),
    )
    horizon = draw(st.sampled_from(range(1, 9)))
    ctx = LearnerContext(
        proficiency=rng.choice([0.0, 0.1, 0.3, 0.5, 0.8], size=n_skills),
        gaps=rng.choice([0.0, 0.2, 0.5, 1.0, 1.5], size=n_skills),
        targets=np.ones(n_skills),
        priority=np.ones(n_skills),
        languages=tuple(draw(st.permutations(LANGUAGE_POOL))[: draw(st.sampled_from([1, 2, 3]))]),
        region=draw(st.integers(-1, 2)),
        local_share=draw(st.sampled_from([0.0, 0.2, 0.5, 1.0])),
        completed=frozenset(np.flatnonzero(rng.random(n_items) < 0.2).tolist()),
        excluded=frozenset(np.flatnonzero(rng.random(n_items) < 0.1).tolist()),
        review_skills=tuple(rng.permutation(n_skills)[: rng.integers(0, 3)].tolist()),
        weekly_minutes=float(draw(st.sampled_from([30, 60, 120, 180, 240, 300]))),
        horizon_weeks=horizon,
        max_steps=draw(st.sampled_from(range(1, 13))),
    )
    n_cand = 0 if draw(st.integers(0, 9)) == 0 else int(rng.integers(n_items // 2, n_items + 1))
    candidates = rng.integers(0, n_items, n_cand)  # duplicates, excluded and completed included
    scores = np.round(rng.normal(size=n_cand), 1)  # ties and negatives included
    levels = [0.0, 0.2, 0.3, 0.5, 0.7]
    policy = Policy(
        modality_progression={
            "microlearning": draw(st.sampled_from([0.0, 0.0, 0.2])),
            "coaching": draw(st.sampled_from(levels)),
            "project": draw(st.sampled_from(levels)),
        }
    )
    config = SequencerConfig(
        max_reviews=draw(st.integers(0, 3)),
        review_earliest_week=draw(st.integers(0, 2)),
        variety_decay=draw(st.sampled_from([0.3, 0.6, 1.0])),
        local_tolerance=draw(st.integers(0, 2)),
    )
    seats = rng.integers(0, 3, size=(n_items, horizon)) if draw(st.booleans()) else None
    return World(catalog, ctx, candidates, scores, policy, config, seats)


def first_language(world: World, item: int) -> str | None:
    offered = world.catalog.languages[item]
    return next((lang for lang in world.ctx.languages if lang in offered), None)


def expected_gap(world: World, item: int) -> int:
    row = world.catalog.gains[item] * world.ctx.gaps
    return int(row.argmax()) if row.max() > 0 else int(world.catalog.primary[item])


def span(world: World, item: int) -> int:
    dur, budget = world.catalog.duration_min[item], world.ctx.weekly_minutes
    return 1 if dur <= budget else math.ceil(dur / budget)


def check_path(world: World, path: list[PlannedStep]) -> None:
    cat, ctx, cfg = world.catalog, world.ctx, world.config
    items = [s.item for s in path]
    position = {item: k for k, item in enumerate(items)}
    need = [world.policy.modality_progression.get(m, 0.0) for m in MODALITIES]

    assert len(items) == len(set(items)), "duplicate items"
    assert len(path) <= ctx.max_steps
    assert sum(s.review for s in path) <= cfg.max_reviews
    assert [s.week for s in path] == sorted(s.week for s in path), "not ordered by week"
    regional = sum(int(cat.scope[i] >= 0) for i in items)
    assert regional <= math.floor(ctx.local_share * len(path)) + cfg.local_tolerance

    started: dict[int, float] = {}
    spanned: dict[int, int] = {}  # week -> steps starting or running in it, long steps only
    highest: dict[int, int] = {}  # gap skill -> highest modality so far
    learned = np.asarray(ctx.proficiency, dtype=float).copy()
    for k, s in enumerate(path):
        i = s.item
        assert 0 <= i < cat.n_items
        assert i not in ctx.excluded
        assert s.review == (i in ctx.completed), "completed items only (and always) as reviews"
        assert cat.scope[i] in (-1, ctx.region)
        assert first_language(world, i) is not None
        assert s.language == first_language(world, i)
        assert math.isfinite(s.score)
        assert s.gap_skill == expected_gap(world, i)
        assert s.weeks == span(world, i)
        assert s.week >= 0
        assert s.week + s.weeks <= ctx.horizon_weeks
        if s.review:
            assert s.week >= cfg.review_earliest_week
        for p in cat.prerequisites[i].tolist():
            assert p in ctx.completed or position.get(p, k) < k, f"{p} must precede {i}"
            if p not in ctx.completed:
                before = path[position[p]]
                assert before.week + before.weeks - 1 <= s.week
        later = tuple(d for d in items[k + 1 :] if i in cat.prerequisites[d].tolist())
        assert s.unlocks == later
        if world.seats is not None and math.isfinite(cat.capacity[i]):
            assert all(world.seats[i, w] >= 1 for w in range(s.week, s.week + s.weeks))
        # modality progression on the step's gap skill
        mod, gap = int(cat.modality[i]), s.gap_skill
        assert learned[gap] >= need[mod] - 1e-9, f"{MODALITIES[mod]} {i} before proficiency"
        assert mod >= highest.get(gap, 0), "modality went backwards within a gap skill"
        highest[gap] = mod
        if not s.review:
            learned += cat.gains[i]
        # budget
        if s.weeks > 1 or cat.duration_min[i] > ctx.weekly_minutes:
            for w in range(s.week, s.week + s.weeks):
                spanned[w] = spanned.get(w, 0) + 1
        else:
            started[s.week] = started.get(s.week, 0.0) + float(cat.duration_min[i])
    for week, minutes in started.items():
        assert minutes <= ctx.weekly_minutes + 1e-9
        assert week not in spanned, "a short step shares a week with a long one"
    assert all(n == 1 for n in spanned.values()), "long steps overlap"


def trivially_placeable(world: World) -> bool:
    """Some candidate could be the only step of a path, at week 0 on an empty calendar."""
    cat, ctx = world.catalog, world.ctx
    need = [world.policy.modality_progression.get(m, 0.0) for m in MODALITIES]
    for item, score in zip(world.candidates.tolist(), world.scores.tolist(), strict=True):
        ok = (
            math.isfinite(score)
            and item not in ctx.excluded
            and item not in ctx.completed
            and first_language(world, item) is not None
            and cat.duration_min[item] <= ctx.weekly_minutes
            and all(p in ctx.completed for p in cat.prerequisites[item].tolist())
            and ctx.proficiency[expected_gap(world, item)] >= need[int(cat.modality[item])]
            and (world.seats is None or not math.isfinite(cat.capacity[item]))
            and (
                cat.scope[item] == -1
                or (
                    cat.scope[item] == ctx.region
                    and math.floor(ctx.local_share) + world.config.local_tolerance >= 1
                )
            )
        )
        if ok:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_every_rule_holds_on_random_worlds(world: World) -> None:
    path = world.sequence()
    check_path(world, path)
    if trivially_placeable(world):
        assert path, "an easily placeable candidate was left out of an empty path"


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_same_input_gives_the_same_path(world: World) -> None:
    first = world.sequence()
    again = PathSequencer(world.config).sequence(
        world.ctx,
        world.candidates.copy(),
        world.scores.copy(),
        world.catalog,
        world.policy,
        world.capacity_left(),
    )
    assert first == again


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_a_tighter_step_limit_keeps_the_path_valid_and_short(world: World) -> None:
    """A tighter step limit keeps the path valid and never longer."""
    path = world.sequence()
    tighter = World(
        world.catalog,
        replace(world.ctx, max_steps=max(1, len(path) - 1)),
        world.candidates,
        world.scores,
        world.policy,
        world.config,
        world.seats,
    )
    shorter = tighter.sequence()
    check_path(tighter, shorter)
    assert len(shorter) <= max(1, len(path) - 1)
