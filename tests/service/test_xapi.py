"""xAPI statements -> events and skill evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathfinder.errors import DataValidationError
from pathfinder.service import XapiMapper, parse_duration

ADL = "http://adlnet.gov/expapi/verbs/"
SID = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"


@pytest.fixture
def mapper() -> XapiMapper:
    return XapiMapper(
        activity_items={"https://content.partner.example/xapi/00042": "i00042"},
        item_skills={"i00042": ["negotiation", "listening"], "i00007": ["python"]},
        is_learner=lambda lid: lid in {"l000001"},
        now=lambda: dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
    )


def statement(
    verb: str = "completed", activity: str = "https://lms.example.com/items/i00007", **extra: Any
) -> dict[str, Any]:
    return {
        "id": SID,
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://lms.example.com", "name": "l000001"},
        },
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": "2025-05-02T10:00:00Z",
        **extra,
    }


def test_completed_statement_maps_to_an_event(mapper: XapiMapper) -> None:
    m = mapper.map(statement(result={"duration": "PT15M30S", "completion": True}))
    assert m.statement_id == SID and not m.flags and not m.assessments
    assert m.event == {
        "event_id": SID,
        "learner_id": "l000001",
        "item_id": "i00007",
        "verb": "completed",
        "timestamp": dt.datetime(2025, 5, 2, 10, tzinfo=dt.UTC),
        "duration_s": 930.0,
        "score": None,
        "rating": None,
    }


def test_activity_id_column_wins_over_the_last_path_segment(mapper: XapiMapper) -> None:
    m = mapper.map(statement(activity="https://content.partner.example/xapi/00042"))
    assert m.event is not None and m.event["item_id"] == "i00042"


@pytest.mark.parametrize(
    ("verb", "success", "event_verb"),
    [
        ("passed", None, "passed"),
        ("failed", None, "failed"),
        ("scored", True, "passed"),
        ("scored", False, "failed"),
        ("mastered", None, "passed"),
    ],
)
def test_scored_statements_are_evidence_for_the_taught_skills(
    mapper: XapiMapper, verb: str, success: bool | None, event_verb: str
) -> None:
    result: dict[str, Any] = {"score": {"scaled": 0.8}}
    if success is not None:
        result["success"] = success
    m = mapper.map(statement(verb, "https://content.partner.example/xapi/00042", result=result))
    assert m.event is not None and m.event["verb"] == event_verb and m.event["score"] == 0.8
    assert [(a["skill_id"], a["score"], a["method"]) for a in m.assessments] == [
        ("negotiation", 0.8, "test"),
        ("listening", 0.8, "test"),
    ]


def test_raw_min_max_score_is_scaled(mapper: XapiMapper) -> None:
    m = mapper.map(statement("passed", result={"score": {"raw": 15, "min": 0, "max": 20}}))
    assert m.event is not None and m.event["score"] == 0.75


@pytest.mark.parametrize(
    ("mutate", "flag"),
    [
        (lambda s: s["actor"]["account"].update(name="ghost"), "unknown_actor: 'ghost'"),
        (lambda s: s.update(actor={"mbox": "mailto:x@example.com"}), "unknown_actor: no actor"),
        (
            lambda s: s["object"].update(id="https://lms.example.com/items/i99999"),
            "unknown_activity",
        ),
        (
            lambda s: s["verb"].update(id="http://adlnet.gov/expapi/verbs/experienced"),
            "unsupported_verb",
        ),
    ],
)
def test_unknown_actor_activity_or_verb_is_flagged_not_dropped(
    mapper: XapiMapper, mutate: Any, flag: str
) -> None:
    s = statement()
    mutate(s)
    m = mapper.map(s)
    assert m.event is None and any(f.startswith(flag) or flag in f for f in m.flags)
    assert m.raw["id"] == SID  # the raw statement is kept for storage


def test_missing_id_is_assigned(mapper: XapiMapper) -> None:
    s = statement()
    del s["id"]
    m = mapper.map(s)
    assert m.raw["id"] == m.statement_id and len(m.statement_id) == 36


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s.pop("verb"), "verb.id"),
        (lambda s: s.pop("object"), "object.id"),
        (lambda s: s.update(timestamp="yesterday"), "timestamp"),
        (lambda s: s.update(timestamp="2025-05-02T10:00:00"), "timestamp"),
        (lambda s: s.update(id="nope"), "'id'"),
        (lambda s: s.update(result={"score": {"scaled": 3}}), "result.score.scaled"),
        (lambda s: s.update(result={"duration": "15 minutes"}), "result.duration"),
    ],
)
def test_malformed_statements_name_the_field(mapper: XapiMapper, mutate: Any, field: str) -> None:
    s = statement()
    mutate(s)
    with pytest.raises(DataValidationError) as info:
        mapper.map(s)
    assert field in str(info.value)


def test_put_id_must_match_the_body(mapper: XapiMapper) -> None:
    with pytest.raises(DataValidationError, match="differs from statementId"):
        mapper.map(statement(), statement_id="0b9e3f0c-3c1e-4d59-9d53-1c9a3e8f1a22")
    assert mapper.map(statement(), statement_id=SID).statement_id == SID


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT15M30S", 930.0), ("PT1H", 3600.0), ("P1DT2H", 93600.0), ("PT0.5S", 0.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration("PT")


@pytest.mark.parametrize("bad", [None, "", 7])
def test_an_id_that_is_present_must_be_a_uuid(mapper: XapiMapper, bad: object) -> None:
    with pytest.raises(DataValidationError, match="column 'id': expected a UUID"):
        mapper.map({**statement(), "id": bad})
    with pytest.raises(DataValidationError, match="column 'id': expected a UUID"):
        mapper.map({**statement(), "id": bad}, statement_id=SID)


@pytest.mark.parametrize("actor", [None, "l000001", ["l000001"]])
def test_a_statement_needs_an_actor_object(mapper: XapiMapper, actor: object) -> None:
    body = statement()
    if actor is None:
        del body["actor"]
    else:
        body["actor"] = actor
    with pytest.raises(DataValidationError, match="column 'actor': expected the statement's actor"):
        mapper.map(body)
