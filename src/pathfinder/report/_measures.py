"""What the evidence says: partner views and Kirkpatrick levels 1-4 as tables (no plotting).

Every function takes validated contract tables (:mod:`pathfinder.data.columns`) and returns a
small DataFrame; the report renders them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathfinder.catalog import CatalogArrays
from pathfinder.data import Framework
from pathfinder.data import columns as C

__all__ = [
    "completions",
    "l1_reaction",
    "l2_learning",
    "l3_behaviour",
    "l4_results",
    "partner_view",
    "pre_post",
]

#: Longest time after a completion within which an assessment counts as its "after" measure.
WINDOW_DAYS = 120
L3_METHODS = tuple(m for m, level in C.METHOD_KIRKPATRICK_LEVEL.items() if level == 3)


def _items(catalog: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Item attributes: partner, modality, domain (of the primary skill), nominal minutes."""
    arrays = CatalogArrays.from_frame(catalog, framework)
    return pd.DataFrame(
        {
            C.ITEM_ID: arrays.item_ids.astype(object),
            C.PARTNER: catalog[C.PARTNER].astype(str).to_numpy(dtype=object),
            C.MODALITY: catalog[C.MODALITY].astype(str).to_numpy(dtype=object),
            "domain": np.array(arrays.domain_names, dtype=object)[arrays.domain],
            C.DURATION_MIN: arrays.duration_min,
        }
    )


def completions(events: pd.DataFrame, catalog: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """One row per completion and skill the item teaches: learner, skill, time, item
    attributes and the learning hours of the completion (its ``duration_s``, else the item's
    nominal duration)."""
    items = _items(catalog, framework)
    done = events.loc[
        events[C.VERB] == "completed", [C.LEARNER_ID, C.ITEM_ID, C.TIMESTAMP, C.DURATION_S]
    ]
    done = done.merge(items, on=C.ITEM_ID, how="left")
    secs = done[C.DURATION_S].to_numpy(dtype=float)
    done["hours"] = np.where(
        np.isfinite(secs) & (secs > 0), secs / 3600.0, done[C.DURATION_MIN].to_numpy() / 60.0
    )
    done["completion"] = np.arange(len(done))
    skills = catalog[[C.ITEM_ID, C.SKILLS]].explode(C.SKILLS).dropna()
    skills = skills.rename(columns={C.SKILLS: C.SKILL_ID})
    skills[C.ITEM_ID] = skills[C.ITEM_ID].astype(object)
    skills[C.SKILL_ID] = skills[C.SKILL_ID].astype(object)
    return done.merge(skills, on=C.ITEM_ID, how="inner")


def pre_post(
    done: pd.DataFrame, assessments: pd.DataFrame, methods: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Each completion x taught skill with the last score before it and the first score after
    it (within :data:`WINDOW_DAYS`), from assessments of ``methods`` (all when None).

    Rows lacking either measure are dropped. ``gain_share`` splits a measured change evenly
    among the completions that share the same before/after pair, so a change is counted once.
    """
    asm = assessments
    if methods is not None:
        asm = asm[asm[C.METHOD].isin(list(methods))]
    asm = asm[[C.LEARNER_ID, C.SKILL_ID, C.ASSESSED_AT, C.SCORE, C.METHOD]].rename(
        columns={C.ASSESSED_AT: "t"}
    )
    asm = asm.astype({C.LEARNER_ID: object, C.SKILL_ID: object}).sort_values("t", kind="stable")
    left = done.rename(columns={C.TIMESTAMP: "t"}).astype(
        {C.LEARNER_ID: object, C.SKILL_ID: object}
    )
    left = left.sort_values("t", kind="stable")
    by = [C.LEARNER_ID, C.SKILL_ID]
    before = pd.merge_asof(
        left,
        asm.rename(columns={C.SCORE: "pre", C.METHOD: "method_pre", "t": "t_pre"}).assign(
            t=lambda f: f["t_pre"]
        ),
        on="t",
        by=by,
        direction="backward",
        allow_exact_matches=False,
    )
    after = pd.merge_asof(
        before.sort_values("t", kind="stable"),
        asm.rename(columns={C.SCORE: "post", C.METHOD: "method", "t": "t_post"}).assign(
            t=lambda f: f["t_post"]
        ),
        on="t",
        by=by,
        direction="forward",
        allow_exact_matches=False,
        tolerance=pd.Timedelta(days=WINDOW_DAYS),
    )
    out = after.dropna(subset=["pre", "post"]).copy()
    out["change"] = out["post"] - out["pre"]
    share = out.groupby([C.LEARNER_ID, C.SKILL_ID, "t_post"])["change"].transform("size")
    out["gain_share"] = out["change"] / share
    return out.sort_values(["completion", C.SKILL_ID], kind="stable").reset_index(drop=True)


def partner_view(
    events: pd.DataFrame, assessments: pd.DataFrame, catalog: pd.DataFrame, framework: Framework
) -> pd.DataFrame:
    """Per partner x domain: catalogue items, items used, completion rate, learning hours and
    measured skill gain per hour of learning."""
    items = _items(catalog, framework)
    ev = events[[C.LEARNER_ID, C.ITEM_ID, C.VERB, C.RATING]].merge(
        items[[C.ITEM_ID, C.PARTNER, "domain"]], on=C.ITEM_ID, how="left"
    )
    keys = [C.PARTNER, "domain"]
    out = items.groupby(keys).size().rename("items").to_frame()
    out["items_used"] = ev.groupby(keys)[C.ITEM_ID].nunique()
    pairs = ev.drop_duplicates([C.LEARNER_ID, C.ITEM_ID, C.VERB])
    started = pairs[pairs[C.VERB].isin(["launched", "completed"])].drop_duplicates(
        [C.LEARNER_ID, C.ITEM_ID]
    )
    out["learner_items_started"] = started.groupby(keys).size()
    out["completions"] = pairs[pairs[C.VERB] == "completed"].groupby(keys).size()
    out["mean_rating"] = ev[ev[C.VERB] == "rated"].groupby(keys)[C.RATING].mean()
    done = completions(events, catalog, framework)
    per_completion = done.drop_duplicates("completion")
    out["learning_hours"] = per_completion.groupby(keys)["hours"].sum()
    measured = pre_post(done, assessments)
    gain = measured.groupby(keys)["gain_share"].sum()
    hours = measured.drop_duplicates("completion").groupby(keys)["hours"].sum()
    out["measured_completions"] = measured.drop_duplicates("completion").groupby(keys).size()
    out = out.fillna(
        {
            "items_used": 0,
            "learner_items_started": 0,
            "completions": 0,
            "learning_hours": 0.0,
            "measured_completions": 0,
        }
    )
    out["completion_rate"] = out["completions"] / out["learner_items_started"].where(
        out["learner_items_started"] > 0
    )
    out["gain_per_hour"] = gain / hours.where(hours > 0)
    cols = [
        "items",
        "items_used",
        "learner_items_started",
        "completions",
        "completion_rate",
        "learning_hours",
        "measured_completions",
        "gain_per_hour",
        "mean_rating",
    ]
    out = out[cols].reset_index()
    for col in ("items_used", "learner_items_started", "completions", "measured_completions"):
        out[col] = out[col].astype(np.int64)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def l1_reaction(events: pd.DataFrame, catalog: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Kirkpatrick L1: ratings (1-5) of ``rated`` events, counts per value by modality."""
    items = _items(catalog, framework)[[C.ITEM_ID, C.MODALITY]]
    rated = events.loc[events[C.VERB] == "rated", [C.ITEM_ID, C.RATING]].dropna()
    rated = rated.merge(items, on=C.ITEM_ID, how="left")
    rated[C.RATING] = rated[C.RATING].round().astype(np.int64)
    table = rated.pivot_table(
        index=C.MODALITY, columns=C.RATING, values=C.ITEM_ID, aggfunc="size", fill_value=0
    )
    table = table.reindex(columns=[1, 2, 3, 4, 5], fill_value=0)
    table.columns = [f"rating_{c}" for c in table.columns]
    table["ratings"] = table.sum(axis=1)
    table["mean_rating"] = rated.groupby(C.MODALITY)[C.RATING].mean()
    return table.reset_index()


def _before_after(pp: pd.DataFrame, key: str) -> pd.DataFrame:
    return (
        pp.groupby(key)
        .agg(
            pairs=("change", "size"),
            mean_before=("pre", "mean"),
            mean_after=("post", "mean"),
            mean_change=("change", "mean"),
        )
        .reset_index()
    )


def l2_learning(
    events: pd.DataFrame, assessments: pd.DataFrame, catalog: pd.DataFrame, framework: Framework
) -> pd.DataFrame:
    """Kirkpatrick L2: ``test`` scores of a taught skill just before vs after completions, by
    domain."""
    pp = pre_post(completions(events, catalog, framework), assessments, ("test",))
    return _before_after(pp, "domain")


def l3_behaviour(
    events: pd.DataFrame, assessments: pd.DataFrame, catalog: pd.DataFrame, framework: Framework
) -> pd.DataFrame:
    """Kirkpatrick L3: observation / 360 / manager scores before vs after completions, by the
    method of the "after" assessment."""
    pp = pre_post(completions(events, catalog, framework), assessments, L3_METHODS)
    return _before_after(pp, "method")


def l4_results(outcomes: pd.DataFrame | None, team_gaps: pd.Series) -> pd.DataFrame | None:
    """Kirkpatrick L4: mean KPI value per (kpi, period) across teams, with the correlation of
    each team's latest value and its mean gap now (``team_gaps``: team -> mean gap). None when
    the data has no outcomes table."""
    if outcomes is None or not len(outcomes):
        return None
    frame = outcomes.copy()
    table = (
        frame.groupby([C.KPI, C.PERIOD])
        .agg(teams=(C.TEAM, "nunique"), mean_value=(C.VALUE, "mean"))
        .reset_index()
        .sort_values([C.KPI, C.PERIOD], kind="stable")
    )
    corr = {}
    for kpi, part in frame.groupby(C.KPI):
        latest = part[part[C.PERIOD] == part[C.PERIOD].max()].groupby(C.TEAM)[C.VALUE].mean()
        joined = pd.concat([latest, team_gaps], axis=1, join="inner").dropna()
        corr[kpi] = float(joined.corr().iloc[0, 1]) if len(joined) > 2 else np.nan
    table["corr_latest_vs_gap_now"] = table[C.KPI].map(corr)
    return table.reset_index(drop=True)
