"""Simulate a year of learning in an organisation, with a hidden ground truth.

The simulation is vectorised over learners and steps week by week:

1. latent proficiency decays towards a floor (individual half-lives; spaced practice slows it);
2. in assessment weeks, learners are assessed on their focus skills (noise depends on method);
3. active learners pick items from a taste-driven shortlist, pulled by role relevance, strategic
   priorities in force, popularity, language and a level that suits them;
4. completion depends on difficulty, duration, modality and diligence; completed items raise
   proficiency following :class:`~pathfinder.synthetic.dynamics.Dynamics`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pathfinder.data import columns as C
from pathfinder.data.framework import Framework
from pathfinder.synthetic.dynamics import MODALITY_CODES, Dynamics
from pathfinder.synthetic.framework_gen import START, make_catalog, make_framework
from pathfinder.synthetic.sizes import WorldSize

__all__ = ["GENERATOR_VERSION", "Simulation", "simulate"]

GENERATOR_VERSION = "1.0.0"
TASTE_DIM = 6
N_CLUSTERS = 8
FOCUS_SKILLS = 5
ASSESSMENT_EVERY_WEEKS = 13
VERB_CODES = {v: k for k, v in enumerate(C.VERBS)}
ProgressFn = Callable[[int, int], None]
_DAY = 86_400
_WEEK = 7 * _DAY


@dataclass(frozen=True)
class Simulation:
    """Observable tables plus the hidden truth of one generated world."""

    framework: Framework
    catalog: pd.DataFrame
    learners: pd.DataFrame
    assessments: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    truth: dict[str, pd.DataFrame]
    truth_meta: dict[str, Any]


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` deterministic version-4 UUID strings."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    h = raw.tobytes().hex()
    cuts = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
    return ["-".join(h[k + a : k + b] for a, b in cuts) for k in range(0, 32 * n, 32)]


class _Learners:
    """Hidden and observable attributes of the learner population."""

    def __init__(self, fw: Framework, size: WorldSize, rng: np.random.Generator) -> None:
        n, n_skills = size.learners, len(fw.skills)
        self.region = rng.choice(len(fw.regions), size=n, p=_weights(len(fw.regions)))
        self.role = rng.choice(len(fw.roles), size=n, p=_weights(len(fw.roles)))
        langs = [r.languages for r in fw.regions]
        self.language = np.array(
            [
                langs[r][0]
                if u < 0.6
                else langs[r][1 + int(u * 10) % (len(langs[r]) - 1)]
                if len(langs[r]) > 1
                else langs[r][0]
                for r, u in zip(self.region, rng.random(n), strict=True)
            ]
        )
        centres = rng.normal(0.0, 1.0, size=(N_CLUSTERS, TASTE_DIM))
        self.cluster = rng.integers(0, N_CLUSTERS, size=n)
        self.taste = centres[self.cluster] * 0.8 + rng.normal(0.0, 0.45, size=(n, TASTE_DIM))
        self.targets = np.stack([fw.target_vector(r) for r in fw.role_ids])[self.role]
        targeted = self.targets > 0
        self.initial = np.where(
            targeted, rng.beta(3.0, 4.5, size=(n, n_skills)), rng.beta(2.0, 6.0, size=(n, n_skills))
        )
        self.half_life = (
            120.0
            * rng.lognormal(0.0, 0.3, size=(n, 1))
            * rng.lognormal(0.0, 0.2, size=(1, n_skills))
        )
        self.rate = rng.lognormal(0.0, 0.25, size=n)
        self.activity = rng.gamma(2.0, 0.28, size=n)
        self.diligence = rng.normal(0.0, 0.5, size=n)
        self.join_week = np.where(
            rng.random(n) < 0.9, 0, rng.integers(1, max(2, size.weeks - 4), size=n)
        )
        gap_key = np.where(targeted, self.targets - self.initial, -1.0) + rng.normal(
            0, 0.1, (n, n_skills)
        )
        self.focus = np.argsort(-gap_key, axis=1, kind="stable")[:, : FOCUS_SKILLS - 1]
        self.focus = np.column_stack([self.focus, rng.integers(0, n_skills, size=n)])
        self.ids = np.array([f"l{k:06d}" for k in range(n)])
        role_ids, region_ids = fw.role_ids, fw.region_ids
        team_no = np.zeros(n, dtype=int)
        counts: dict[tuple[int, int], int] = {}
        for k in range(n):
            key = (int(self.region[k]), int(self.role[k]))
            team_no[k] = counts.get(key, 0) // 25
            counts[key] = counts.get(key, 0) + 1
        self.team = np.array(
            [
                f"{region_ids[g]}-{role_ids[r]}-{t}"
                for g, r, t in zip(self.region, self.role, team_no, strict=True)
            ]
        )
        joined_days = np.where(
            self.join_week == 0,
            -rng.integers(1, 3 * 365, size=n),
            self.join_week * 7 + rng.integers(0, 5, size=n),
        )
        start = pd.Timestamp(START, tz="UTC")
        self.table = pd.DataFrame(
            {
                C.LEARNER_ID: self.ids,
                C.ROLE: np.array(role_ids)[self.role],
                C.TEAM: self.team,
                C.REGION: np.array(region_ids)[self.region],
                C.LANGUAGE: self.language,
                C.TIMEZONE: np.array([r.timezone for r in fw.regions])[self.region],
                C.JOINED_AT: start + pd.to_timedelta(joined_days, unit="D"),
            }
        )


def _weights(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.5
    return np.asarray(w / w.sum())


class _Items:
    """Dense arrays over the catalogue for the simulation."""

    def __init__(self, fw: Framework, catalog: pd.DataFrame) -> None:
        index = {s: i for i, s in enumerate(fw.skill_ids)}
        item_index = {s: i for i, s in enumerate(catalog[C.ITEM_ID])}
        n, n_skills = len(catalog), len(index)
        self.gains = np.zeros((n, n_skills))
        for i, (ss, gg) in enumerate(zip(catalog[C.SKILLS], catalog[C.GAINS], strict=True)):
            for s, g in zip(ss, gg, strict=True):
                self.gains[i, index[s]] = g
        self.primary = np.array([index[ss[0]] for ss in catalog[C.SKILLS]])
        self.level = catalog[C.LEVEL].to_numpy()
        self.duration = catalog[C.DURATION_MIN].to_numpy()
        self.modality = catalog[C.MODALITY].map(MODALITY_CODES).to_numpy()
        self.prereq = np.full((n, 2), -1)
        for i, pre in enumerate(catalog[C.PREREQUISITES]):
            for k, p in enumerate(pre[:2]):
                self.prereq[i, k] = item_index[p]
        region_index = {r: k for k, r in enumerate(fw.region_ids)}
        self.scope = catalog[C.SCOPE].map(lambda s: region_index.get(s, -1)).to_numpy()
        self.languages = [set(x) for x in catalog[C.LANGUAGES]]
        self.skill_prereq = np.zeros((n_skills, n_skills))
        for s in fw.skills:
            for q in s.prerequisites:
                self.skill_prereq[index[s.id], index[q]] = 1.0


class _Appeal:
    """Static appeal of every item to a learner: taste, popularity, role, language, scope."""

    def __init__(
        self, fw: Framework, items: _Items, item_taste: np.ndarray, popularity: np.ndarray
    ) -> None:
        role_targets = np.stack([fw.target_vector(r) for r in fw.role_ids])
        self.role_rel = ((items.gains > 0)[None, :, :] * role_targets[:, None, :]).max(axis=2)
        langs = sorted({lg for r in fw.regions for lg in r.languages})
        self.speaks = np.array([[lg in s for lg in langs] for s in items.languages])
        self.lang_col = {lg: j for j, lg in enumerate(langs)}
        self.region_has_en = np.array(["en" in r.languages for r in fw.regions])
        self.scope = items.scope
        self.item_taste = item_taste
        self.popularity = popularity

    def of(self, people: _Learners, who: np.ndarray | slice) -> np.ndarray:
        """Appeal of every item to learners ``who``, shape (n_who, n_items)."""
        own = self.speaks[:, [self.lang_col[x] for x in people.language[who]]].T
        en_ok = (
            self.speaks[:, self.lang_col["en"]][None, :]
            & self.region_has_en[people.region[who]][:, None]
        )
        lang_term = np.where(own, 0.0, np.where(en_ok, -2.5, -np.inf))
        scope = self.scope[None, :]
        scope_term = np.where(
            scope < 0, 0.0, np.where(scope == people.region[who][:, None], 0.4, -np.inf)
        )
        # einsum without BLAS: results must not depend on the BLAS thread count (determinism)
        out: np.ndarray = (
            np.einsum("ld,id->li", people.taste[who], self.item_taste, optimize=False) * 0.8
            + self.popularity[None, :]
            + 1.5 * self.role_rel[people.role[who]]
            + lang_term
            + scope_term
        )
        return out


def _shortlists(
    appeal_of: _Appeal, people: _Learners, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per learner, the ``k`` items they would ever consider and their static appeal."""
    n_items = len(appeal_of.scope)
    n = len(people.ids)
    shortlist = np.zeros((n, k), dtype=np.int64)
    appeal = np.zeros((n, k))
    for lo in range(0, n, 4096):
        sl = slice(lo, min(n, lo + 4096))
        u = appeal_of.of(people, sl)
        noisy = u + rng.gumbel(size=u.shape)
        top = np.argpartition(-noisy, min(k, n_items) - 1, axis=1)[:, :k]
        top.sort(axis=1)
        shortlist[sl] = top
        appeal[sl] = np.take_along_axis(u, top, axis=1)
    return shortlist, appeal


def _weekly_utility(
    appeal: np.ndarray,
    boost: np.ndarray,
    level: np.ndarray,
    p_primary: np.ndarray,
    done: np.ndarray,
    skipped: np.ndarray,
    follow_up: np.ndarray,
) -> np.ndarray:
    """A week's utility of shortlisted items before noise: appeal, priorities, level, history."""
    out: np.ndarray = (
        appeal
        + boost
        - 2.5 * np.abs(level - p_primary - 0.1)
        - 4.0 * done
        - 1.5 * skipped
        + 1.0 * follow_up
    )
    return out


def _priority_boost(fw: Framework, items: _Items, on: dt.date) -> np.ndarray:
    """Extra appeal of items by (region, role) group for priorities in force on ``on``."""
    n_roles = len(fw.roles)
    boost = np.zeros((len(fw.regions) * n_roles, len(items.level)))
    teaches = items.gains > 0
    for g, region in enumerate(fw.region_ids):
        for r, role in enumerate(fw.role_ids):
            weights = fw.priority_vector(region, role, on)
            boost[g * n_roles + r] = 1.5 * (teaches * (weights - 1.0)[None, :]).max(axis=1)
    return boost


class _EventLog:
    """Columnar accumulator of events."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        learner: np.ndarray,
        item: np.ndarray,
        verb: str,
        ts: np.ndarray,
        duration: np.ndarray | None = None,
        score: np.ndarray | None = None,
        rating: np.ndarray | None = None,
    ) -> None:
        nan = np.full(len(learner), np.nan)
        self.parts.append(
            {
                "l": learner,
                "i": item,
                "v": np.full(len(learner), VERB_CODES[verb]),
                "t": ts.astype(np.int64),
                "d": nan if duration is None else np.round(duration),
                "s": nan if score is None else np.round(score, 3),
                "r": nan if rating is None else rating,
            }
        )

    def frame(
        self, people: _Learners, item_ids: np.ndarray, rng: np.random.Generator
    ) -> pd.DataFrame:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.argsort(cols["t"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        start = pd.Timestamp(START, tz="UTC")
        return pd.DataFrame(
            {
                C.EVENT_ID: _uuids(rng, len(order)),
                C.LEARNER_ID: people.ids[cols["l"]],
                C.ITEM_ID: item_ids[cols["i"]],
                C.VERB: np.array(C.VERBS)[cols["v"]],
                C.TIMESTAMP: start + pd.to_timedelta(cols["t"], unit="s"),
                C.DURATION_S: cols["d"],
                C.SCORE: cols["s"],
                C.RATING: cols["r"],
            }
        )


def simulate(
    size: WorldSize, seed: int, progress: ProgressFn | None = None, dynamics: Dynamics | None = None
) -> Simulation:
    """Generate one world. Deterministic for a given ``size``, ``seed`` and ``dynamics``.

    ``dynamics`` replaces the default ground truth (tests use it for negative controls).
    """
    root = np.random.SeedSequence(seed)
    rng_fw, rng_cat, rng_people, rng_short, rng_sim, rng_ids = (
        np.random.default_rng(s) for s in root.spawn(6)
    )
    dyn = dynamics or Dynamics()
    fw = make_framework(size, rng_fw)
    catalog, item_taste, popularity = make_catalog(fw, size, rng_cat, TASTE_DIM)
    items = _Items(fw, catalog)
    people = _Learners(fw, size, rng_people)
    shortlist, appeal = _shortlists(
        _Appeal(fw, items, item_taste, popularity),
        people,
        min(size.shortlist, size.items),
        rng_short,
    )
    n, n_skills = size.learners, len(fw.skills)
    group = people.region * len(fw.roles) + people.role
    P = people.initial.copy()
    floor = dyn.floor_share * people.initial
    H = people.half_life.copy()
    last = np.full((n, n_skills), -1e9)
    done = np.zeros((n, size.items), dtype=bool)
    skipped = np.zeros((n, size.items), dtype=bool)
    log = _EventLog()
    assess: list[dict[str, np.ndarray]] = []
    snaps: list[tuple[int, np.ndarray, np.ndarray]] = []
    outcome_rows: list[dict[str, Any]] = []
    methods = np.array(C.METHODS)
    noise = np.array([dyn.noise_sd[m] for m in C.METHODS])
    bias = np.array([dyn.manager_bias if m == "manager" else 0.0 for m in C.METHODS])
    learner_idx = np.arange(n)
    for w in range(size.weeks):
        if w % size.snapshot_every == 0:
            snaps.append((w, P.astype(np.float32), H.astype(np.float32)))
        P = dyn.decay(P, floor, H, 7.0)
        now_s = w * _WEEK
        joined = people.join_week <= w
        # -- assessments at the start of cycle weeks (before the week's learning)
        if w % ASSESSMENT_EVERY_WEEKS == 1 or w == size.weeks - 1:
            who = learner_idx[joined & (rng_sim.random(n) < 0.85)]
            m = 1 + rng_sim.binomial(2, 0.35, size=len(who))
            pick = np.argsort(rng_sim.random((len(who), FOCUS_SKILLS)), axis=1)
            rows = np.repeat(np.arange(len(who)), m)
            slot = (
                np.concatenate([pick[j, :c] for j, c in enumerate(m)]) if len(who) else pick[:0, 0]
            )
            ll, ss = who[rows], people.focus[who[rows], slot]
            meth = rng_sim.choice(len(methods), size=len(ll), p=[0.5, 0.2, 0.15, 0.15])
            score = np.clip(
                P[ll, ss] + bias[meth] + rng_sim.normal(0, 1, len(ll)) * noise[meth], 0, 1
            )
            assess.append(
                {
                    "l": ll,
                    "s": ss,
                    "m": meth,
                    "v": np.round(score, 3),
                    "t": now_s + rng_sim.integers(0, 12 * 3600, size=len(ll)),
                }
            )
        # -- engagement
        n_eng = np.minimum(rng_sim.poisson(people.activity), 3) * joined
        act = np.flatnonzero(n_eng)
        if len(act):
            sl = shortlist[act]
            boost = _priority_boost(fw, items, START + dt.timedelta(weeks=w))
            p_prim = P[act[:, None], items.primary[sl]]
            u = _weekly_utility(
                appeal[act],
                boost[group[act][:, None], sl],
                items.level[sl],
                p_prim,
                done[act[:, None], sl],
                skipped[act[:, None], sl],
                _follow_up(items, done, act, sl),
            ) + rng_sim.gumbel(size=sl.shape)
            order = np.argsort(-u, axis=1, kind="stable")[:, :3]
            take = np.arange(3)[None, :] < n_eng[act][:, None]
            ll = np.repeat(act[:, None], 3, axis=1)[take]
            ii = np.take_along_axis(sl, order, axis=1)[take]
            _engage(dyn, items, people, P, H, last, done, skipped, ll, ii, now_s, log, rng_sim)
        if (w + 1) % ASSESSMENT_EVERY_WEEKS == 0:
            outcome_rows.extend(_outcomes(people, P, w, rng_sim))
        if progress is not None:
            progress(w + 1, size.weeks)
    snaps.append((size.weeks, P.astype(np.float32), H.astype(np.float32)))
    item_ids = catalog[C.ITEM_ID].to_numpy()
    events = log.frame(people, item_ids, rng_ids)
    assessments = _assessment_frame(fw, people, assess, methods)
    truth = _truth_tables(fw, people, item_ids, item_taste, popularity, snaps, P, H, floor, last)
    meta = {
        "dynamics": dyn.model_dump(),
        "start": START.isoformat(),
        "weeks": size.weeks,
        "taste_dim": TASTE_DIM,
        "clusters": N_CLUSTERS,
        "snapshot_every": size.snapshot_every,
    }
    return Simulation(
        fw, catalog, people.table, assessments, events, pd.DataFrame(outcome_rows), truth, meta
    )


def _follow_up(items: _Items, done: np.ndarray, act: np.ndarray, sl: np.ndarray) -> np.ndarray:
    """1 where an item has prerequisite items and the learner completed all of them."""
    pre = items.prereq[sl]  # (learners, shortlist, 2)
    met = (pre < 0) | done[act[:, None, None], np.maximum(pre, 0)]
    return ((pre >= 0).any(axis=2) & met.all(axis=2)).astype(float)


def _engage(
    dyn: Dynamics,
    items: _Items,
    people: _Learners,
    P: np.ndarray,
    H: np.ndarray,
    last: np.ndarray,
    done: np.ndarray,
    skipped: np.ndarray,
    ll: np.ndarray,
    ii: np.ndarray,
    now_s: int,
    log: _EventLog,
    rng: np.random.Generator,
) -> None:
    """One week's launches of (learner, item) pairs: completion, learning, events."""
    p_prim = P[ll, items.primary[ii]]
    dur_s = items.duration[ii] * 60.0
    comp = rng.random(len(ll)) < dyn.completion_probability(
        p_prim, items.level[ii], items.duration[ii], items.modality[ii], people.diligence[ll]
    )
    t0 = now_s + 12 * 3600 + rng.integers(0, 6 * _DAY, size=len(ll))
    log.add(ll, ii, "launched", t0, duration=np.zeros(len(ll)))
    long = dur_s >= 20 * 60
    prog = long & (comp | (rng.random(len(ll)) < 0.5))
    log.add(
        ll[prog], ii[prog], "progressed", t0[prog] + dur_s[prog] * 0.5, duration=dur_s[prog] * 0.5
    )
    t_end = t0 + dur_s * rng.uniform(0.8, 1.3, size=len(ll))
    drop = ~comp
    t_skip = t0[drop] + dur_s[drop] * rng.uniform(0.1, 0.6, size=int(drop.sum()))
    log.add(ll[drop], ii[drop], "skipped", t_skip, duration=t_skip - t0[drop])
    skipped[ll[drop], ii[drop]] = True
    lc, ic = ll[comp], ii[comp]
    log.add(lc, ic, "completed", t_end[comp], duration=t_end[comp] - t0[comp])
    if len(lc):
        before = P[lc]
        unmet_skill = ((before < dyn.mastery).astype(float) @ items.skill_prereq.T) > 0
        pre = items.prereq[ic]
        item_met = np.all((pre < 0) | done[lc[:, None], np.maximum(pre, 0)], axis=1)
        g = dyn.gain(
            before,
            items.gains[ic],
            items.level[ic][:, None],
            items.modality[ic][:, None],
            ~unmet_skill,
            item_met[:, None],
            people.rate[lc][:, None],
        )
        np.add.at(P, lc, g)
        np.minimum(P, 1.0, out=P)
        rows, cols = np.nonzero(items.gains[ic] > 0)
        cl, cs = lc[rows], cols
        day = now_s / _DAY + 0.5
        H[cl, cs] = dyn.practised_half_life(H[cl, cs], day - last[cl, cs])
        last[cl, cs] = day
        done[lc, ic] = True
        quiz = items.modality[ic] == 0
        score = np.clip(
            P[lc[quiz], items.primary[ic[quiz]]] + rng.normal(0, 0.08, int(quiz.sum())), 0, 1
        )
        passed = score >= 0.6
        tq = t_end[comp][quiz] + 30
        log.add(lc[quiz][passed], ic[quiz][passed], "passed", tq[passed], score=score[passed])
        log.add(lc[quiz][~passed], ic[quiz][~passed], "failed", tq[~passed], score=score[~passed])
        rated = rng.random(len(lc)) < 0.35
        fit = dyn.level_fit(items.level[ic], before[np.arange(len(lc)), items.primary[ic]])
        rating = np.clip(
            np.round(3 + 2 * fit + 0.5 * people.diligence[lc] + rng.normal(0, 0.7, len(lc))), 1, 5
        )
        log.add(lc[rated], ic[rated], "rated", t_end[comp][rated] + 60, rating=rating[rated])


def _outcomes(
    people: _Learners, P: np.ndarray, w: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Kirkpatrick level-4 results: a team KPI that tracks proficiency on role targets."""
    targeted = people.targets > 0
    readiness = (np.minimum(P, people.targets) * targeted).sum(1) / np.maximum(
        (people.targets * targeted).sum(1), 1e-9
    )
    frame = pd.DataFrame({"team": people.team, "r": readiness})
    means = frame.groupby("team", sort=True)["r"].mean()
    period = f"{START.year + (w // 52)}-Q{(w % 52) // 13 + 1}"
    return [
        {
            C.TEAM: t,
            C.KPI: "team_performance",
            C.PERIOD: period,
            C.VALUE: round(float(50 + 40 * r + rng.normal(0, 1.5)), 2),
        }
        for t, r in means.items()
    ]


def _assessment_frame(
    fw: Framework, people: _Learners, parts: list[dict[str, np.ndarray]], methods: np.ndarray
) -> pd.DataFrame:
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["s"], cols["l"], cols["t"]))
    start = pd.Timestamp(START, tz="UTC")
    return pd.DataFrame(
        {
            C.LEARNER_ID: people.ids[cols["l"][order]],
            C.SKILL_ID: np.array(fw.skill_ids)[cols["s"][order]],
            C.SCORE: cols["v"][order],
            C.ASSESSED_AT: start + pd.to_timedelta(cols["t"][order], unit="s"),
            C.METHOD: methods[cols["m"][order]],
        }
    )


def _truth_tables(
    fw: Framework,
    people: _Learners,
    item_ids: np.ndarray,
    item_taste: np.ndarray,
    popularity: np.ndarray,
    snaps: list[tuple[int, np.ndarray, np.ndarray]],
    P: np.ndarray,
    H: np.ndarray,
    floor: np.ndarray,
    last: np.ndarray,
) -> dict[str, pd.DataFrame]:
    n, n_skills = P.shape
    learner_cat = pd.Categorical.from_codes(np.repeat(np.arange(n), n_skills), people.ids)
    skill_cat = pd.Categorical.from_codes(np.tile(np.arange(n_skills), n), fw.skill_ids)
    taste_cols = {f"taste_{d}": people.taste[:, d] for d in range(TASTE_DIM)}
    learner_params = pd.DataFrame(
        {
            C.LEARNER_ID: people.ids,
            "learning_rate": people.rate,
            "activity_rate": people.activity,
            "diligence": people.diligence,
            "cluster": people.cluster,
            "join_week": people.join_week,
            **taste_cols,
        }
    )
    learner_skill = pd.DataFrame(
        {
            C.LEARNER_ID: learner_cat,
            C.SKILL_ID: skill_cat,
            "initial": people.initial.ravel(),
            "floor": floor.ravel(),
            "half_life_days": H.ravel(),
            "final_proficiency": P.ravel(),
            "last_practice_day": np.where(last < -1e8, np.nan, last).ravel(),
        }
    )
    items = pd.DataFrame(
        {
            C.ITEM_ID: item_ids,
            "popularity": popularity,
            **{f"taste_{d}": item_taste[:, d] for d in range(TASTE_DIM)},
        }
    )
    traj = pd.DataFrame(
        {
            C.LEARNER_ID: pd.Categorical.from_codes(
                np.tile(learner_cat.codes, len(snaps)), people.ids
            ),
            C.SKILL_ID: pd.Categorical.from_codes(
                np.tile(skill_cat.codes, len(snaps)), fw.skill_ids
            ),
            "week": np.repeat(np.array([s[0] for s in snaps], dtype=np.int16), n * n_skills),
            "proficiency": np.concatenate([s[1].ravel() for s in snaps]),
            "half_life_days": np.concatenate([s[2].ravel() for s in snaps]),
        }
    )
    return {
        "learner_params": learner_params,
        "learner_skill": learner_skill,
        "items": items,
        "trajectories": traj,
    }
