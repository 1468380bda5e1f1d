"""Prometheus metrics of the service, created in the worker (multiprocess-safe with BentoML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Metrics", "make_metrics"]


@dataclass(frozen=True)
class Metrics:
    """Request latency per route and status, degraded answers, shed requests, events by outcome."""

    request_seconds: Any
    fallbacks: Any
    shed: Any
    events: Any


def make_metrics() -> Metrics:
    """Create the metrics; call inside the worker, after BentoML set up its metrics directory."""
    import prometheus_client as prom  # imported late on purpose (multiprocess mode)

    return Metrics(
        request_seconds=prom.Histogram(
            "pathfinder_request_seconds",
            "Request latency by route and status.",
            ["route", "status"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        ),
        fallbacks=prom.Counter("pathfinder_fallbacks", "Degraded fallback paths served."),
        shed=prom.Counter("pathfinder_shed", "Requests answered 503: too many in flight."),
        events=prom.Counter("pathfinder_events", "Events by outcome.", ["outcome"]),
    )
