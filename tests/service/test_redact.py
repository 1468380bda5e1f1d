"""Access-log lines never carry the learner id of a ``/learners/<id>`` path."""

from __future__ import annotations

import logging

import pytest

from pathfinder.service._redact import ACCESS_LOGGERS, RedactLearnerPaths, redact_access_logs


@pytest.mark.parametrize("name", ACCESS_LOGGERS)
def test_learner_paths_are_redacted_in_access_logs(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    redact_access_logs()
    redact_access_logs()  # idempotent
    logger = logging.getLogger(name)
    assert sum(isinstance(f, RedactLearnerPaths) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=name):
        path = "/learners/l42/gaps"
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 200)
        logger.info("%s (path=%s)", "127.0.0.1:5", "/learners/pii-7%20x?y=1")
        logger.info("GET /learners/l43 plain")
        logger.info("%s", "/recommend")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        '127.0.0.1:5 - "GET /learners/***/gaps HTTP/1.1" 200',
        "127.0.0.1:5 (path=/learners/***?y=1)",
        "GET /learners/*** plain",
        "/recommend",
    ]
