"""Keep learner ids out of the access logs: ``/learners/<id>/...`` is logged as ``/learners/***``.

Learner ids are pseudonymous but still personal data, and two routes carry one in their path
(``GET /learners/{id}/gaps``, ``DELETE /learners/{id}``). Uvicorn and BentoML log every request
path; a filter on their access loggers rewrites those paths before any handler formats them.
"""

from __future__ import annotations

import logging
import re

__all__ = ["ACCESS_LOGGERS", "RedactLearnerPaths", "redact_access_logs"]

#: Loggers that write one line per request, with its path.
ACCESS_LOGGERS = ("uvicorn.access", "bentoml.access")
_LEARNER_PATH = re.compile(r"(/learners/)[^/\s?#\"']+")


def _redact(value: object) -> object:
    return _LEARNER_PATH.sub(r"\1***", value) if isinstance(value, str) else value


class RedactLearnerPaths(logging.Filter):
    """Replaces the learner-id segment of ``/learners/<id>`` paths in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact(v) for k, v in record.args.items()}
        return True


def redact_access_logs() -> None:
    """Install :class:`RedactLearnerPaths` on the access loggers (once; safe to call again)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLearnerPaths) for f in logger.filters):
            logger.addFilter(RedactLearnerPaths())
