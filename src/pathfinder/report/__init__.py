"""The steering-group report: forecast gaps, priorities, partners, Kirkpatrick L1-L4 (HTML)."""

from pathfinder.report._build import SECTIONS, ReportResult, build_report
from pathfinder.report._measures import (
    l1_reaction,
    l2_learning,
    l3_behaviour,
    l4_results,
    partner_view,
    pre_post,
)

__all__ = [
    "SECTIONS",
    "ReportResult",
    "build_report",
    "l1_reaction",
    "l2_learning",
    "l3_behaviour",
    "l4_results",
    "partner_view",
    "pre_post",
]
