"""The planning state of one sequencer call: placement, scheduling, rollback, reviews."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pathfinder.catalog import CatalogArrays
from pathfinder.data.columns import MODALITIES
from pathfinder.data.framework import Policy
from pathfinder.sequencing._types import LearnerContext, PlannedStep, SequencerConfig

__all__ = ["CapacityLeft", "PathPlan"]

CapacityLeft = Callable[[int, int], float]

# Outcome of one placement attempt; a value >= 0 means "blocked by the modality threshold of
# that skill" (may clear once more gains on the skill are scheduled).
_OK = -1
_PERMANENT = -2  # can only get worse as the path fills: drop the candidate
_LOCAL = -3  # local-share limit: may clear once more global steps are placed
_SLOTS = -4  # chain longer than the steps left in this phase


@dataclass(slots=True)
class _Step:
    item: int
    week: int
    weeks: int
    score: float
    language: str
    review: bool
    gap: int
    modality: int


def _span(minutes: float, budget: float) -> int:
    """Weeks a step occupies: 1, or ceil(minutes / budget) when longer than one week's budget."""
    return max(2, math.ceil(minutes / budget)) if minutes > budget else 1


class PathPlan:
    """State of one :meth:`~pathfinder.sequencing.PathSequencer.sequence` call."""

    def __init__(
        self,
        ctx: LearnerContext,
        catalog: CatalogArrays,
        policy: Policy,
        cfg: SequencerConfig,
        capacity_left: CapacityLeft | None,
    ) -> None:
        self.ctx, self.cat, self.cfg, self.capacity_left = ctx, catalog, cfg, capacity_left
        self.horizon = int(ctx.horizon_weeks)
        self.budget = float(ctx.weekly_minutes)
        progression = {str(k): float(v) for k, v in policy.modality_progression.items()}
        self.need = [progression.get(m, 0.0) for m in MODALITIES]
        self.gaps = np.asarray(ctx.gaps, dtype=np.float64)
        self.used = [0.0] * self.horizon  # minutes started per week
        self.starts = [0] * self.horizon  # steps started per week
        self.full = [False] * self.horizon  # occupied by a multi-week step
        self.steps: list[_Step] = []
        self.placed: dict[int, _Step] = {}
        self.by_gap: dict[int, list[_Step]] = {}
        self.count = [0] * catalog.n_skills  # non-review steps per gap skill
        self.n_regional = 0
        self.free = self.budget  # most minutes still free in one week
        self.empty = self.horizon  # weeks where nothing starts or runs
        self.blocked: set[int] = set()  # items with an unplaceable prerequisite
        self.score_of: dict[int, float] = {}
        self._gap: dict[int, int] = {}
        self._lang: dict[int, str | None] = {}
        self._seats: dict[tuple[int, int], float] = {}

    # -- item properties ------------------------------------------------------------------
    def language(self, item: int) -> str | None:
        """First of the learner's languages the item offers, or None."""
        if item in self._lang:
            return self._lang[item]
        offered = self.cat.languages[item]
        found = None
        for lang in self.ctx.languages:
            if lang in offered:
                found = lang
                break
        self._lang[item] = found
        return found

    def gap_of(self, item: int) -> int:
        if item not in self._gap:
            row = self.cat.gains[item] * self.gaps
            k = int(row.argmax())
            self._gap[item] = k if row[k] > 0 else int(self.cat.primary[item])
        return self._gap[item]

    def fits_learner(self, item: int) -> bool:
        """Scope, duration and language allow the item (ignores completed/excluded)."""
        scope = int(self.cat.scope[item])
        dur = float(self.cat.duration_min[item])
        return (
            (scope == -1 or scope == self.ctx.region)
            and math.isfinite(dur)
            and dur >= 0
            and self.language(item) is not None
        )

    def seats(self, item: int, week: int) -> float:
        key = (item, week)
        if key not in self._seats:
            assert self.capacity_left is not None
            self._seats[key] = float(self.capacity_left(item, week))
        return self._seats[key]

    def eff(self, item: int) -> float:
        """Score decayed by the steps already chosen for the same gap (penalty for negatives)."""
        s = self.score_of[item]
        f = self.cfg.variety_decay ** self.count[self.gap_of(item)]
        return s * f if s >= 0 else s / f

    # -- scheduling -----------------------------------------------------------------------
    def earliest(self, item: int) -> int | None:
        """Earliest start week after placed prerequisites; None if one is unmet."""
        week = 0
        for p in self.cat.prerequisites[item].tolist():
            st = self.placed.get(p)
            if st is not None:
                week = max(week, st.week + st.weeks - 1)
            elif p not in self.ctx.completed:
                return None
        return week

    def find_week(self, item: int, gap: int, lo: int) -> tuple[int, int]:
        """Earliest feasible start week, or (-1, reason)."""
        cat, budget = self.cat, self.budget
        dur = float(cat.duration_min[item])
        mod = int(cat.modality[item])
        hi = self.horizon
        for st in self.by_gap.get(gap, ()):  # non-decreasing modality within a gap skill
            if st.modality < mod:
                lo = max(lo, st.week)
            elif st.modality > mod:
                hi = min(hi, st.week)
        span = _span(dur, budget)
        if dur > self.free if span == 1 else span > self.empty:
            return -1, _PERMANENT  # no room left anywhere
        prof = float(self.ctx.proficiency[gap])
        contrib: list[tuple[int, float]] | None = None
        if self.need[mod] > prof:
            contrib = [
                (st.week, float(cat.gains[st.item, gap])) for st in self.steps if not st.review
            ]
        capped = self.capacity_left is not None and math.isfinite(float(cat.capacity[item]))
        blocked = False
        for w in range(lo, min(hi, self.horizon - span + 1)):
            if dur > budget:  # starts on empty weeks and fills them
                if any(self.starts[w + j] or self.full[w + j] for j in range(span)):
                    continue
            elif self.full[w] or self.used[w] + dur > budget:
                continue
            if capped and any(self.seats(item, w + j) < 1 for j in range(span)):
                continue
            if contrib is not None:
                estimate = prof + sum(g for wk, g in contrib if wk <= w)
                if estimate < self.need[mod]:
                    blocked = True
                    continue
            return w, _OK
        return -1, (gap if blocked else _PERMANENT)

    def commit(self, item: int, week: int, score: float, review: bool) -> None:
        cat = self.cat
        dur = float(cat.duration_min[item])
        span = _span(dur, self.budget)
        gap = self.gap_of(item)
        lang = self.language(item)
        assert lang is not None
        st = _Step(item, week, span, score, lang, review, gap, int(cat.modality[item]))
        self.steps.append(st)
        self.placed[item] = st
        self.by_gap.setdefault(gap, []).append(st)
        if not review:
            self.count[gap] += 1
        if int(cat.scope[item]) >= 0:
            self.n_regional += 1
        self.starts[week] += 1
        if dur > self.budget:
            for j in range(span):
                self.full[week + j] = True
        else:
            self.used[week] += dur
        self.update_room()

    def update_room(self) -> None:
        weeks = list(zip(self.used, self.starts, self.full, strict=True))
        self.free = max((self.budget - u for u, _, f in weeks if not f), default=-1.0)
        self.empty = sum(1 for _, n, f in weeks if not n and not f)

    def rollback(self, n_steps: int, used: list[float], full: list[bool]) -> None:
        while len(self.steps) > n_steps:
            st = self.steps.pop()
            del self.placed[st.item]
            self.by_gap[st.gap].pop()
            if not st.review:
                self.count[st.gap] -= 1
            if int(self.cat.scope[st.item]) >= 0:
                self.n_regional -= 1
            self.starts[st.week] -= 1
        self.used, self.full = used, full
        self.update_room()

    def share_ok(self, n_new: int, n_new_regional: int) -> bool:
        total = len(self.steps) + n_new
        limit = math.floor(self.ctx.local_share * total) + self.cfg.local_tolerance
        return self.n_regional + n_new_regional <= limit

    # -- one candidate with its prerequisites ---------------------------------------------
    def closure(self, root: int, room: int) -> list[int] | int:
        """Unmet prerequisites of ``root`` then ``root``, in dependency order, or a reason."""
        if not len(self.cat.prerequisites[root]):
            return [root]
        if root in self.blocked:
            return _PERMANENT
        completed, placed = self.ctx.completed, self.placed

        def unmet(x: int) -> list[int]:
            pre = self.cat.prerequisites[x].tolist()
            return sorted(p for p in pre if p not in completed and p not in placed)

        order: list[int] = []
        state = {root: 1}  # 1 = on the stack, 2 = done
        stack = [(root, iter(unmet(root)))]
        while stack:
            node, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                order.append(node)
                if len(order) > room:
                    return _SLOTS
                continue
            seen = state.get(nxt)
            if seen == 2:
                continue
            if (
                seen == 1
                or nxt in self.blocked
                or nxt in self.ctx.excluded
                or not self.fits_learner(nxt)
            ):  # a cycle or an ineligible prerequisite: nothing on the stack can ever be placed
                self.blocked.update(node for node, _ in stack)
                return _PERMANENT
            state[nxt] = 1
            stack.append((nxt, iter(unmet(nxt))))
        return order

    def place_chain(self, root: int, room: int) -> int:
        chain = self.closure(root, room)
        if isinstance(chain, int):
            return chain
        n_regional = sum(1 for x in chain if int(self.cat.scope[x]) >= 0)
        if n_regional and not self.share_ok(len(chain), n_regional):
            return _LOCAL
        if len(chain) == 1:  # fast path: nothing to roll back
            lo = self.earliest(root)
            assert lo is not None
            week, reason = self.find_week(root, self.gap_of(root), lo)
            if week < 0:
                return reason
            self.commit(root, week, self.score_of[root], review=False)
            return _OK
        # A pulled prerequisite scores at most as its dependants (and at most its own score).
        # Reversed post-order visits every dependant before its prerequisites.
        members = set(chain)
        given = {root: self.score_of[root]}
        for x in reversed(chain):
            for p in self.cat.prerequisites[x].tolist():
                if p in members:
                    own = given.get(p, self.score_of.get(p, math.inf))
                    given[p] = min(own, given[x])
        n_steps, used, full = len(self.steps), list(self.used), list(self.full)
        for x in chain:
            lo = self.earliest(x)
            assert lo is not None
            week, reason = self.find_week(x, self.gap_of(x), lo)
            if week < 0:
                self.rollback(n_steps, used, full)
                return reason
            self.commit(x, week, given[x], review=False)
        return _OK

    # -- the whole path -------------------------------------------------------------------
    def plan(self, cands: np.ndarray, values: np.ndarray) -> list[PlannedStep]:
        ctx, cat = self.ctx, self.cat
        scope = cat.scope[cands]
        dur = cat.duration_min[cands]
        keep = (
            np.isfinite(values)
            & ((scope == -1) | (scope == ctx.region))
            & np.isfinite(dur)
            & (dur >= 0)
        )
        cands, values = cands[keep], values[keep]
        _, first = np.unique(cands, return_index=True)
        first.sort()
        cands, values = cands[first], values[first]
        items, item_scores = cands.tolist(), values.tolist()
        self.score_of = dict(zip(items, item_scores, strict=True))
        excluded, completed = ctx.excluded, ctx.completed
        heap = [
            (-v, i, 0)
            for i, v in zip(items, item_scores, strict=True)
            if i not in excluded and i not in completed
        ]  # the language is checked when an item reaches the top
        heapq.heapify(heap)
        if len(cands):  # gap skills of all candidates at once
            weighted = cat.gains[cands] * self.gaps
            best = weighted.argmax(axis=1)
            top = weighted[np.arange(len(cands)), best]
            gap = np.where(top > 0, best, cat.primary[cands])
            self._gap.update(zip(cands.tolist(), gap.tolist(), strict=True))
        floor_score = float(values.min()) if len(values) else 0.0

        reviews = self.review_options()
        reserve = min(self.cfg.max_reviews, sum(1 for r in reviews if r), ctx.max_steps // 2)
        parked_thr: dict[int, list[int]] = {}
        parked_local: list[int] = []
        parked_slots: list[int] = []

        def push(items: list[int]) -> None:
            for it in items:
                if it not in self.placed:
                    heapq.heappush(heap, (-self.eff(it), it, self.count[self.gap_of(it)]))
            items.clear()

        def fill(limit: int) -> None:
            while heap and len(self.steps) < limit:
                _, item, seen = heapq.heappop(heap)
                if item in self.placed or self.language(item) is None:
                    continue
                if self.count[self.gap_of(item)] != seen:  # stale decay: re-rank
                    push([item])
                    continue
                before = len(self.steps)
                status = self.place_chain(item, limit - before)
                if status == _OK:
                    new = self.steps[before:]
                    for skill in sorted(parked_thr):
                        if any(cat.gains[st.item, skill] > 0 for st in new):
                            push(parked_thr.pop(skill))
                    if any(int(cat.scope[st.item]) < 0 for st in new):
                        push(parked_local)
                elif status == _LOCAL:
                    parked_local.append(item)
                elif status == _SLOTS:
                    parked_slots.append(item)
                elif status >= 0:
                    parked_thr.setdefault(status, []).append(item)

        fill(ctx.max_steps - reserve)
        self.add_reviews(reviews, floor_score)
        push(parked_slots)
        fill(ctx.max_steps)
        return self.output()

    def review_options(self) -> list[list[int]]:
        """Per review skill (in urgency order), the completed items that may review it."""
        ctx, cat = self.ctx, self.cat
        if not ctx.review_skills or not ctx.completed or self.cfg.max_reviews == 0:
            return []
        pool = np.array(sorted(ctx.completed - ctx.excluded), dtype=np.int64)
        scope, dur = cat.scope[pool], cat.duration_min[pool]
        pool = pool[((scope == -1) | (scope == ctx.region)) & np.isfinite(dur) & (dur >= 0)]
        out: list[list[int]] = []
        for r in dict.fromkeys(ctx.review_skills):  # unique, urgency order kept
            if not 0 <= r < cat.n_skills:
                continue
            gain = cat.gains[pool, r]
            teach = gain > 0
            order = np.lexsort((pool[teach], -gain[teach]))  # highest gain, then lowest index
            out.append([i for i in pool[teach][order].tolist() if self.language(i) is not None])
        return out

    def add_reviews(self, options: Sequence[list[int]], score: float) -> None:
        added = 0
        for items in options:
            if added >= self.cfg.max_reviews or len(self.steps) >= self.ctx.max_steps:
                return
            for item in items:
                if item in self.placed:
                    continue
                lo = self.earliest(item)
                if lo is None or not self.share_ok(1, int(int(self.cat.scope[item]) >= 0)):
                    continue
                lo = max(lo, self.cfg.review_earliest_week)
                week, _ = self.find_week(item, self.gap_of(item), lo)
                if week >= 0:
                    self.commit(item, week, self.score_of.get(item, score), review=True)
                    added += 1
                    break

    def output(self) -> list[PlannedStep]:
        order = sorted(range(len(self.steps)), key=lambda j: (self.steps[j].week, j))
        steps = [self.steps[j] for j in order]
        position = {st.item: k for k, st in enumerate(steps)}
        unlocks: list[list[int]] = [[] for _ in steps]
        for k, st in enumerate(steps):
            for p in self.cat.prerequisites[st.item].tolist():
                j = position.get(p)
                if j is not None and j < k:
                    unlocks[j].append(st.item)
        return [
            PlannedStep(
                item=st.item,
                week=st.week,
                weeks=st.weeks,
                score=float(st.score),
                language=st.language,
                review=st.review,
                gap_skill=st.gap,
                unlocks=tuple(unlocks[k]),
            )
            for k, st in enumerate(steps)
        ]
