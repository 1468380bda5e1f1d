"""``build_report``: one self-contained HTML page (charts embedded) plus the PNGs beside it."""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pathfinder.data import World
from pathfinder.errors import ConfigError
from pathfinder.forecast import read_manifest
from pathfinder.report import _charts as charts
from pathfinder.report import _measures as M

__all__ = ["SECTIONS", "ReportResult", "build_report"]

#: Section ids of the report, in order (each an ``<section id=...>``).
SECTIONS = (
    "summary",
    "gap-heatmap",
    "gap-trajectories",
    "priorities",
    "partners",
    "kirkpatrick-l1",
    "kirkpatrick-l2",
    "kirkpatrick-l3",
    "kirkpatrick-l4",
)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.8em 0}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}img{max-width:100%}
.note{color:#555;font-size:.9em}
.absent{background:#fff4e5;padding:.6em;border-left:4px solid #f0a000}
"""


@dataclass(frozen=True)
class ReportResult:
    """The written report."""

    html: Path
    charts: dict[str, Path]
    sections: tuple[str, ...]


def _aggregate(forecast: Path, name: str) -> pd.DataFrame:
    path = forecast / "aggregates" / f"{name}.parquet"
    if not path.is_file():
        raise ConfigError(
            f"{path} is missing: {forecast} is an incomplete forecast; rerun `pathfinder forecast`"
        )
    return pd.read_parquet(path)


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(
        index=False, border=0, na_rep="–", float_format=lambda v: f"{v:,.{digits}f}"
    )


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _priorities(
    forecast: Path, world: World, manifest: dict[str, Any], horizon: int
) -> pd.DataFrame:
    """Coverage of each strategic priority among the learners it applies to."""
    fw = world.framework
    skills = sorted({p.skill for p in fw.priorities})
    cols = ["region", "role", "skill_id", "target", "gap_now", "gap_no_learning", "gap_with_path"]
    rows = pd.read_parquet(
        forecast / "learner_skill" / f"horizon_days={horizon}",
        columns=cols,
        filters=[("skill_id", "in", skills)] if skills else None,
    )
    as_of = dt.date.fromisoformat(str(manifest["as_of"])[:10])
    at = as_of + dt.timedelta(days=horizon)
    out = []
    for p in fw.priorities:
        scope = rows["skill_id"] == p.skill
        if p.regions:
            scope &= rows["region"].isin(p.regions)
        if p.roles:
            scope &= rows["role"].isin(p.roles)
        part = rows[scope]
        targeted = part[part["target"] > 0]
        share = {
            x: float((targeted[f"gap_{x}"] > 0).mean()) if len(targeted) else float("nan")
            for x in ("now", "no_learning", "with_path")
        }
        dates = f"{p.start or '…'} – {p.end or '…'}"
        out.append(
            {
                "priority": f"{p.skill} ×{p.weight:g}",
                "scope": f"{'/'.join(p.regions) or 'all regions'}; "
                f"{'/'.join(p.roles) or 'all roles'}",
                "in force": dates,
                "now": p.applies(
                    p.regions[0] if p.regions else "", p.roles[0] if p.roles else "", as_of
                ),
                f"at +{horizon} d": p.applies(
                    p.regions[0] if p.regions else "", p.roles[0] if p.roles else "", at
                ),
                "learners": len(part),
                "share_below_now": share["now"],
                "share_below_no_learning": share["no_learning"],
                "share_below_with_path": share["with_path"],
                "mean_gap_with_path": float(part["gap_with_path"].mean()) if len(part) else None,
                "expected_closure": float((part["gap_no_learning"] - part["gap_with_path"]).mean())
                if len(part)
                else None,
            }
        )
    return pd.DataFrame(out)


def build_report(
    forecast: Path,
    world: World,
    events: pd.DataFrame,
    assessments: pd.DataFrame,
    out: Path,
) -> ReportResult:
    """Write the steering-group report ``out`` (HTML) and its PNG charts beside it.

    Parameters
    ----------
    forecast : Path
        A directory written by ``pathfinder forecast`` (its manifest and aggregates are read).
    world : World
        The data directory: framework, catalogue, learners, optional outcomes.
    events, assessments : DataFrame
        Evidence (the data directory's or the event store's).
    out : Path
        The HTML file; charts go to ``<stem>-<chart>.png`` in the same folder.

    Raises
    ------
    ConfigError
        When the forecast is missing or incomplete, or belongs to another framework version.
    """
    forecast, out = Path(forecast), Path(out)
    manifest = read_manifest(forecast)
    fw = world.framework
    if manifest.get("framework_version") != fw.version:
        raise ConfigError(
            f"forecast {forecast} is for framework version {manifest.get('framework_version')!r} "
            f"but the data's framework.yaml is {fw.version!r}; use the data the forecast read"
        )
    horizons = [int(h) for h in manifest["horizons_days"]]
    last = max(horizons)
    team = _aggregate(forecast, "team")
    skill = _aggregate(forecast, "skill")
    out.parent.mkdir(parents=True, exist_ok=True)
    png: dict[str, Path] = {}

    def chart(name: str) -> Path:
        png[name] = out.with_name(f"{out.stem}-{name}.png")
        return png[name]

    body: list[str] = []

    def section(sid: str, title: str, *parts: str) -> None:
        body.append(f'<section id="{sid}"><h2>{html.escape(title)}</h2>{"".join(parts)}</section>')

    # -- summary and trajectories (from the skill aggregate, weighted by learners)
    w = skill.assign(
        **{
            c: skill[c] * skill["learners"]
            for c in skill.columns
            if c.startswith(("mean_", "expected_"))
        }
    )
    per_h = w.groupby("horizon_days")[
        [
            "learners",
            "mean_gap_now",
            "mean_weighted_gap_now",
            "mean_gap_no_learning",
            "mean_gap_with_path",
            "mean_weighted_gap_no_learning",
            "mean_weighted_gap_with_path",
            "expected_closure",
        ]
    ].sum()
    per_h = per_h.div(per_h["learners"], axis=0).drop(columns="learners").reset_index()
    traj = pd.DataFrame(
        {
            "no further learning": [
                per_h["mean_weighted_gap_now"].iloc[0],
                *per_h["mean_weighted_gap_no_learning"],
            ],
            "with recommended path": [
                per_h["mean_weighted_gap_now"].iloc[0],
                *per_h["mean_weighted_gap_with_path"],
            ],
        },
        index=[0, *per_h["horizon_days"].astype(int)],
    )
    meta = pd.DataFrame(
        {
            "field": [
                "as of",
                "model",
                "framework version",
                "learners",
                "skills",
                "horizons (days)",
                "engine",
                "learning time on the path",
            ],
            "value": [
                manifest["as_of"],
                manifest.get("model_uri") or manifest["model_version"],
                manifest["framework_version"],
                f"{manifest['learners']:,}",
                str(manifest["skills"]),
                ", ".join(map(str, horizons)),
                manifest["engine"],
                f"{manifest['weekly_minutes']:g} min/week",
            ],
        }
    )
    section(
        "summary",
        "Summary",
        _table(meta),
        '<p class="note">Gap = max(0, role target − proficiency); weighted gap multiplies it by '
        "the strategic priorities in force on that date. “With path” assumes each learner follows "
        "the recommended path for the stated weekly time (see docs/forecast.md).</p>",
        _table(per_h.rename(columns={"horizon_days": "horizon (days)"})),
    )
    # -- heatmap team x skill at the longest horizon, no further learning
    at_last = team[team["horizon_days"] == last]
    heat = at_last.pivot_table(index="team", columns="skill_id", values="mean_gap_no_learning")
    heat = heat.loc[:, heat.max(axis=0) > 0] if heat.size else heat
    title = f"mean gap by team × skill at +{last} days without further learning"
    section(
        "gap-heatmap",
        "Forecast gaps by team × skill",
        _img(charts.gap_heatmap(heat, title, chart("gap_heatmap")), title),
        f'<p class="note">{len(heat)} teams × {heat.shape[1]} skills with a target; '
        "darker is a larger gap. The largest cells:</p>",
        _table(
            at_last.nlargest(10, "mean_gap_no_learning")[
                [
                    "team",
                    "skill_id",
                    "learners",
                    "mean_gap_now",
                    "mean_gap_no_learning",
                    "mean_gap_with_path",
                    "share_below_target_no_learning",
                    "share_below_target_with_path",
                ]
            ]
        ),
    )
    section(
        "gap-trajectories",
        "Gap trajectories over the horizons",
        _img(charts.gap_trajectories(traj, chart("gap_trajectories")), "gap trajectories"),
        _table(traj.reset_index().rename(columns={"index": "days ahead"})),
    )
    # -- strategic priorities
    prio = _priorities(forecast, world, manifest, last)
    if len(prio):
        section(
            "priorities",
            "Coverage of strategic priorities",
            _img(charts.priority_coverage(prio, chart("priority_coverage")), "priority coverage"),
            _table(prio),
        )
    else:
        section(
            "priorities",
            "Coverage of strategic priorities",
            '<p class="absent">The framework sets no strategic priorities.</p>',
        )
    # -- partners
    partners = M.partner_view(events, assessments, world.catalog, fw)
    section(
        "partners",
        "Partner view (for each partner's quarterly review)",
        _img(charts.partner_gain(partners, chart("partner_gain")), "partner gain per hour"),
        '<p class="note">Completion rate: completed ÷ started learner-item pairs. Measured gain: '
        "change of a taught skill's assessment score from the last one before a completion to the "
        f"first within {M.WINDOW_DAYS} days after (shared among completions in between), per hour "
        "of learning.</p>",
        _table(partners),
    )
    # -- Kirkpatrick
    l1 = M.l1_reaction(events, world.catalog, fw)
    section(
        "kirkpatrick-l1",
        "Kirkpatrick L1 — reaction (ratings)",
        _img(charts.rating_bars(l1, chart("l1_ratings")), "ratings"),
        _table(l1, 2),
    )
    l2 = M.l2_learning(events, assessments, world.catalog, fw)
    section(
        "kirkpatrick-l2",
        "Kirkpatrick L2 — learning (tests before / after)",
        _img(
            charts.bar_pairs(
                l2, "domain", "L2: test scores before vs after completions", chart("l2_tests")
            ),
            "tests before and after",
        ),
        _table(l2),
    )
    l3 = M.l3_behaviour(events, assessments, world.catalog, fw)
    section(
        "kirkpatrick-l3",
        "Kirkpatrick L3 — behaviour (observation, 360, manager)",
        _img(
            charts.bar_pairs(
                l3, "method", "L3: on-the-job assessments before vs after", chart("l3_behaviour")
            ),
            "behaviour before and after",
        ),
        _table(l3),
    )
    first = team[team["horizon_days"] == min(horizons)]
    team_gap = (first["mean_gap_now"] * first["learners"]).groupby(first["team"]).sum() / first[
        "learners"
    ].groupby(first["team"]).sum()
    l4 = M.l4_results(world.outcomes, team_gap)
    if l4 is None:
        section(
            "kirkpatrick-l4",
            "Kirkpatrick L4 — results",
            '<p class="absent">No outcomes table in the data directory: level 4 (results) is not '
            "measured. Add <code>outcomes.csv</code> (team, kpi, period, value) to report it.</p>",
        )
    else:
        section(
            "kirkpatrick-l4",
            "Kirkpatrick L4 — results (outcomes)",
            _img(charts.kpi_lines(l4, chart("l4_outcomes")), "outcomes"),
            '<p class="note">corr_latest_vs_gap_now: correlation across teams of the latest '
            "KPI value with the team's mean gap now (negative: teams with smaller gaps do better)."
            "</p>",
            _table(l4, 2),
        )
    day = html.escape(str(manifest["as_of"])[:10])
    title = f"pathfinder — skill-gap forecast and L&amp;D impact ({day})"
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>{''.join(body)}</body></html>\n"
    )
    out.write_text(page, encoding="utf-8")
    return ReportResult(out, png, SECTIONS)
