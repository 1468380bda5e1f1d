"""Map xAPI 1.0.3 statements onto pathfinder events and assessments (DESIGN §3).

A statement names its learner in ``actor.account.name``, its verb by IRI, its item by activity IRI
(through the catalogue's ``activity_id`` column, else the IRI's last path segment). Statements about
an unknown actor or activity, or with a verb pathfinder does not use, are still stored, with flags
saying why nothing was derived from them; none is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError, ValidationIssue

__all__ = ["ADL_VERBS", "MappedStatement", "XapiMapper", "parse_duration"]

ADL = "http://adlnet.gov/expapi/verbs/"
#: ADL verb IRIs -> event verb ("scored" keeps the score as evidence, see ``map``).
ADL_VERBS = {
    f"{ADL}launched": "launched",
    f"{ADL}attempted": "launched",
    f"{ADL}progressed": "progressed",
    f"{ADL}completed": "completed",
    f"{ADL}passed": "passed",
    f"{ADL}failed": "failed",
    f"{ADL}scored": "progressed",
    f"{ADL}mastered": "passed",
}
EVIDENCE_VERBS = {f"{ADL}passed", f"{ADL}failed", f"{ADL}scored", f"{ADL}mastered"}
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """ISO-8601 duration (``PT1H2M3.5S``, ``P1DT2H``) -> seconds."""
    m = _DURATION.match(text)
    if not m or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO-8601 duration: {text!r} (e.g. 'PT15M30S')")
    parts = {k: float(v) for k, v in m.groupdict().items() if v}
    return (
        parts.get("d", 0.0) * 86_400
        + parts.get("h", 0.0) * 3_600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
    )


@dataclass(frozen=True)
class MappedStatement:
    """One statement, its id (assigned when missing) and what pathfinder derives from it."""

    statement_id: str
    raw: dict[str, Any]
    learner_id: str | None
    event: dict[str, Any] | None
    assessments: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _issue(where: str, message: str) -> DataValidationError:
    return DataValidationError([ValidationIssue("xAPI statement", message, column=where)])


def _timestamp(raw: Any, now: Callable[[], dt.datetime]) -> dt.datetime:
    if raw is None:
        return now()
    try:
        ts = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as err:
        raise _issue("timestamp", f"expected an ISO-8601 timestamp, found {raw!r}") from err
    if ts.tzinfo is None:
        raise _issue("timestamp", f"expected a timezone (e.g. 'Z'), found {raw!r}")
    return ts.astimezone(dt.UTC)


def _score(result: Mapping[str, Any]) -> float | None:
    score = result.get("score")
    if not isinstance(score, Mapping):
        return None
    if "scaled" in score:
        scaled = float(score["scaled"])
        if not -1.0 <= scaled <= 1.0:
            raise _issue("result.score.scaled", f"expected a number in [-1, 1], found {scaled}")
        return max(0.0, scaled)
    if {"raw", "min", "max"} <= set(score):
        lo, hi, raw = float(score["min"]), float(score["max"]), float(score["raw"])
        if hi <= lo or not lo <= raw <= hi:
            raise _issue("result.score", f"expected min <= raw <= max, found {dict(score)}")
        return (raw - lo) / (hi - lo)
    return None


class XapiMapper:
    """Maps statements with the catalogue's activity ids, skills and the known learners.

    Parameters
    ----------
    activity_items : mapping
        Activity IRI -> item id (the catalogue's optional ``activity_id`` column).
    item_skills : mapping
        Item id -> skills it teaches (for score evidence).
    is_learner : callable
        Whether a learner id is known (to the model or the event store).
    """

    def __init__(
        self,
        activity_items: Mapping[str, str],
        item_skills: Mapping[str, list[str]],
        is_learner: Callable[[str], bool],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.activity_items = dict(activity_items)
        self.item_skills = item_skills
        self.is_learner = is_learner
        self.now = now

    def item_of(self, activity: str) -> str | None:
        if activity in self.activity_items:
            return self.activity_items[activity]
        tail = activity.rstrip("/").rsplit("/", 1)[-1]
        return tail if tail in self.item_skills else None

    def map(self, statement: Mapping[str, Any], statement_id: str | None = None) -> MappedStatement:
        """Validate the parts pathfinder reads and derive the event and evidence.

        Raises
        ------
        DataValidationError
            The statement lacks actor, verb or object ids, or a field has the wrong form;
            the message names the field.
        """
        if not isinstance(statement, Mapping):
            raise _issue("statement", f"expected a JSON object, found {type(statement).__name__}")
        raw = dict(statement)
        if "id" in raw and not (isinstance(raw["id"], str) and raw["id"]):  # null, "", 7: no id
            raise _issue("id", f"expected a UUID, found {raw['id']!r}")
        sid = statement_id or raw.get("id") or str(uuid.uuid4())
        try:
            sid = str(uuid.UUID(str(sid)))
        except ValueError as err:
            raise _issue("id", f"expected a UUID, found {sid!r}") from err
        if raw.get("id") not in (None, sid) and statement_id is not None:
            raise _issue("id", f"statement id {raw.get('id')!r} differs from statementId {sid!r}")
        raw["id"] = sid
        verb = (raw.get("verb") or {}).get("id") if isinstance(raw.get("verb"), Mapping) else None
        if not isinstance(verb, str) or not verb:
            raise _issue("verb.id", "expected the verb's IRI")
        obj = raw.get("object")
        activity = obj.get("id") if isinstance(obj, Mapping) else None
        if not isinstance(activity, str) or not activity:
            raise _issue("object.id", "expected the activity's IRI")
        actor = raw.get("actor")
        if not isinstance(actor, Mapping):  # required by xAPI; an unknown one is only flagged
            raise _issue("actor", "expected the statement's actor (an object)")
        account = actor.get("account")
        learner = account.get("name") if isinstance(account, Mapping) else None
        if learner is not None and not isinstance(learner, str):
            raise _issue("actor.account.name", f"expected a string, found {learner!r}")
        result = raw.get("result") or {}
        if not isinstance(result, Mapping):
            raise _issue("result", "expected an object")
        ts = _timestamp(raw.get("timestamp"), self.now)
        score = _score(result)
        duration = None
        if "duration" in result:
            try:
                duration = parse_duration(str(result["duration"]))
            except ValueError as err:
                raise _issue("result.duration", str(err)) from err
        flags = []
        if learner is None:
            flags.append("unknown_actor: no actor.account.name")
        elif not self.is_learner(learner):
            flags.append(f"unknown_actor: {learner!r} is not a known learner")
        item = self.item_of(activity)
        if item is None:
            flags.append(f"unknown_activity: {activity!r} maps to no catalogue item")
        event_verb = ADL_VERBS.get(verb)
        if event_verb is None:
            flags.append(f"unsupported_verb: {verb!r}")
        if verb == f"{ADL}scored" and result.get("success") is not None:
            event_verb = "passed" if result.get("success") else "failed"
        if flags:
            return MappedStatement(sid, raw, learner, None, [], flags)
        assert learner is not None and item is not None and event_verb is not None
        event = {
            C.EVENT_ID: sid,
            C.LEARNER_ID: learner,
            C.ITEM_ID: item,
            C.VERB: event_verb,
            C.TIMESTAMP: ts,
            C.DURATION_S: duration,
            C.SCORE: score,
            C.RATING: None,
        }
        assessments = []
        if verb in EVIDENCE_VERBS and score is not None:
            assessments = [
                {
                    C.LEARNER_ID: learner,
                    C.SKILL_ID: skill,
                    C.SCORE: score,
                    C.ASSESSED_AT: ts,
                    C.METHOD: "test",
                }
                for skill in self.item_skills.get(item, [])
            ]
        return MappedStatement(sid, raw, learner, event, assessments, [])
