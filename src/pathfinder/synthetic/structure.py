"""Measure, from observable data only, the structure the synthetic world must hold (DESIGN §4).

These statistics prove the structure exists in generated tables (not only in generator code);
the tests assert on them and the generator benchmark prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pathfinder.data import World
from pathfinder.data import columns as C

__all__ = ["StructureReport", "measure_structure"]


@dataclass(frozen=True)
class StructureReport:
    """Effect sizes of the world's structure, measured on observable data."""

    gain_suitable: float
    """Assessment rise per completion at a suitable level with prerequisites met (regression)."""
    gain_unsuitable_level: float
    """Assessment rise per completion at a level far from the learner's last score."""
    gain_met_prerequisites: float
    """Assessment rise per suitable-level completion of an item whose prerequisites were done."""
    gain_unmet_prerequisites: float
    """Assessment rise per suitable-level completion of an item whose prerequisites were not."""
    forgetting_per_90_days: float
    """Change in score per 90 days between assessments with no practice (negative = forgetting)."""
    cf_recall: float
    """Recall@20 of item-to-item co-engagement on held-out engagements."""
    role_popularity_recall: float
    """Recall@20 of popular-in-role-and-region on the same held-out engagements."""
    own_language_share: float
    """Share of launches of items offered in a language of the learner's region."""
    learner_language_share: float
    """Share of launches of items offered in the learner's own language."""
    local_item_share: float
    """Share of catalogue items scoped to a region."""
    priority_lift: float
    """Share of launches on a dated priority's skill inside its window over outside it."""


def _assessment_pairs(world: World) -> pd.DataFrame:
    a = world.assessments.sort_values([C.LEARNER_ID, C.SKILL_ID, C.ASSESSED_AT])
    same = (a[C.LEARNER_ID].to_numpy()[1:] == a[C.LEARNER_ID].to_numpy()[:-1]) & (
        a[C.SKILL_ID].to_numpy()[1:] == a[C.SKILL_ID].to_numpy()[:-1]
    )
    first, second = a.iloc[:-1][same], a.iloc[1:][same]
    return pd.DataFrame(
        {
            C.LEARNER_ID: first[C.LEARNER_ID].to_numpy(),
            C.SKILL_ID: first[C.SKILL_ID].to_numpy(),
            "t1": first[C.ASSESSED_AT].to_numpy(),
            "t2": second[C.ASSESSED_AT].to_numpy(),
            "s1": first[C.SCORE].to_numpy(),
            "s2": second[C.SCORE].to_numpy(),
            "m1": first[C.METHOD].to_numpy(),
            "m2": second[C.METHOD].to_numpy(),
        }
    )


def _learning_effects(world: World) -> tuple[float, float, float, float, float]:
    pairs = _assessment_pairs(world)
    pairs = pairs[pairs["m1"].isin(["test", "360"]) & pairs["m2"].isin(["test", "360"])]
    pairs = pairs.reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs))
    cat = world.catalog
    teach = cat[[C.ITEM_ID, C.SKILLS, C.LEVEL, C.PREREQUISITES]].explode(C.SKILLS)
    teach = teach.rename(columns={C.SKILLS: C.SKILL_ID})
    ev = world.events
    comp = ev.loc[ev[C.VERB] == "completed", [C.LEARNER_ID, C.ITEM_ID, C.TIMESTAMP]]
    first_done = comp.groupby([C.LEARNER_ID, C.ITEM_ID], sort=False)[C.TIMESTAMP].min()
    cc = comp.merge(teach, on=C.ITEM_ID).merge(pairs, on=[C.LEARNER_ID, C.SKILL_ID])
    cc = cc[(cc[C.TIMESTAMP] > cc["t1"]) & (cc[C.TIMESTAMP] < cc["t2"])]
    # were the item's prerequisite items completed before this completion?
    pre = cc[[C.LEARNER_ID, C.PREREQUISITES, C.TIMESTAMP]].explode(C.PREREQUISITES)
    pre = pre.dropna(subset=[C.PREREQUISITES])
    keys = pd.MultiIndex.from_arrays([pre[C.LEARNER_ID], pre[C.PREREQUISITES]])
    done_at = first_done.reindex(keys).to_numpy()
    unmet_rows = pre.index[~(done_at < pre[C.TIMESTAMP].to_numpy())]
    unmet = cc.index.isin(unmet_rows)
    suitable = ((cc[C.LEVEL] - cc["s1"]).between(-0.05, 0.25)).to_numpy()
    has_pre = (cc[C.PREREQUISITES].map(len) > 0).to_numpy()
    # kinds: 0 suitable, no prerequisite items; 1 suitable, prerequisites met;
    # 2 suitable, prerequisites unmet; 3 unsuitable level
    kind = np.select([~suitable, unmet, has_pre], [3, 2, 1], 0)
    counts = np.zeros((len(pairs), 4))
    np.add.at(counts, (cc["pair"].to_numpy(), kind), 1.0)
    practised = counts.sum(axis=1) > 0
    days = (pairs["t2"] - pairs["t1"]).dt.total_seconds().to_numpy() / 86_400
    delta = (pairs["s2"] - pairs["s1"]).to_numpy()
    X = np.column_stack([np.ones(len(pairs)), counts, days / 90.0, pairs["s1"].to_numpy()])
    coef = np.linalg.lstsq(X, delta, rcond=None)[0]
    n_suitable = counts[:, 0].sum() + counts[:, 1].sum()
    suitable_gain = (coef[1] * counts[:, 0].sum() + coef[2] * counts[:, 1].sum()) / n_suitable
    # forgetting: only pairs without practice of the skill in between
    idle = ~practised
    Xf = np.column_stack([np.ones(idle.sum()), days[idle] / 90.0, pairs["s1"].to_numpy()[idle]])
    coef_f = np.linalg.lstsq(Xf, delta[idle], rcond=None)[0]
    return float(suitable_gain), float(coef[4]), float(coef[2]), float(coef[3]), float(coef_f[1])


def _collaborative(world: World, k: int = 20, seed: int = 0) -> tuple[float, float]:
    """Item-item co-engagement vs popular-in-role/region on one held-out launch per learner."""
    ev = world.events.loc[world.events[C.VERB] == "launched", [C.LEARNER_ID, C.ITEM_ID]]
    ev = ev.drop_duplicates()
    rng = np.random.default_rng(seed)
    ev = ev.assign(r=rng.random(len(ev)))
    counts = ev.groupby(C.LEARNER_ID)[C.ITEM_ID].transform("size")
    ev = ev[counts >= 5]
    held = ev.loc[ev.groupby(C.LEARNER_ID)["r"].idxmax()]
    train = ev.drop(index=held.index)
    learners = pd.Index(ev[C.LEARNER_ID].unique())
    items = pd.Index(world.catalog[C.ITEM_ID])
    rows, cols = learners.get_indexer(train[C.LEARNER_ID]), items.get_indexer(train[C.ITEM_ID])
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(learners), len(items)))
    norms = np.sqrt(np.asarray(X.sum(axis=0)).ravel()) + 1e-9
    Xn = X.multiply(1.0 / norms[None, :]).tocsr()
    sim = (Xn.T @ Xn).toarray()
    np.fill_diagonal(sim, 0.0)
    cf = np.asarray(X @ sim)
    meta = world.learners.set_index(C.LEARNER_ID).loc[learners, [C.ROLE, C.REGION]]
    group = pd.factorize(meta[C.ROLE] + "/" + meta[C.REGION])[0]
    pop = np.zeros((group.max() + 1, len(items)))
    np.add.at(pop, (group[rows], cols), 1.0)
    popular = pop[group]
    seen = X.toarray() > 0
    target = items.get_indexer(held.set_index(C.LEARNER_ID).loc[learners, C.ITEM_ID])

    def recall(scores: np.ndarray) -> float:
        s = np.where(seen, -np.inf, scores + rng.random(scores.shape) * 1e-6)
        top = np.argpartition(-s, k, axis=1)[:, :k]
        return float((top == target[:, None]).any(axis=1).mean())

    return recall(cf), recall(popular)


def _language_and_priorities(world: World) -> tuple[float, float, float, float]:
    fw = world.framework
    lrn = world.learners.set_index(C.LEARNER_ID)
    launches = world.events[world.events[C.VERB] == "launched"]
    cat = world.catalog.set_index(C.ITEM_ID)
    region_langs = {r.id: set(r.languages) for r in fw.regions}
    regions = lrn.loc[launches[C.LEARNER_ID], C.REGION].to_numpy()
    langs = cat.loc[launches[C.ITEM_ID], C.LANGUAGES].to_numpy()
    own = np.mean(
        [bool(region_langs[r] & set(item)) for r, item in zip(regions, langs, strict=True)]
    )
    spoken = lrn.loc[launches[C.LEARNER_ID], C.LANGUAGE].to_numpy()
    mine = np.mean([lg in item for lg, item in zip(spoken, langs, strict=True)])
    local_share = float((world.catalog[C.SCOPE] != C.GLOBAL_SCOPE).mean())
    dated = [p for p in fw.priorities if p.start is not None or p.end is not None]
    lifts = []
    for p in dated:
        teaches = cat[C.SKILLS].map(lambda ss, s=p.skill: s in ss)
        on = launches[C.TIMESTAMP].dt.date.to_numpy()
        rr, ro = regions, lrn.loc[launches[C.LEARNER_ID], C.ROLE].to_numpy()
        in_force = np.array([p.applies(g, r, d) for g, r, d in zip(rr, ro, on, strict=True)])
        scoped = np.array(
            [
                (not p.regions or g in p.regions) and (not p.roles or r in p.roles)
                for g, r in zip(rr, ro, strict=True)
            ]
        )
        hit = teaches.loc[launches[C.ITEM_ID]].to_numpy()
        inside, outside = hit[in_force], hit[scoped & ~in_force]
        if len(inside) > 50 and len(outside) > 50:
            lifts.append(inside.mean() / max(outside.mean(), 1e-9))
    return float(own), float(mine), local_share, float(np.median(lifts)) if lifts else float("nan")


def measure_structure(world: World) -> StructureReport:
    """Measure every structural property of :class:`StructureReport` on ``world``."""
    suitable, unsuitable, met, unmet, forgetting = _learning_effects(world)
    cf, pop = _collaborative(world)
    own, mine, local, lift = _language_and_priorities(world)
    return StructureReport(
        suitable, unsuitable, met, unmet, forgetting, cf, pop, own, mine, local, lift
    )
