"""Library side of the model server, tested without BentoML: core, inputs, xAPI, API keys."""

from pathfinder.service._auth import ApiKeys, Principal, hash_key, new_key
from pathfinder.service._core import ServiceCore
from pathfinder.service._inputs import (
    AssessmentBatch,
    AssessmentIn,
    EventBatch,
    EventIn,
    IngestResult,
)
from pathfinder.service._xapi import ADL_VERBS, MappedStatement, XapiMapper, parse_duration

__all__ = [
    "ADL_VERBS",
    "ApiKeys",
    "AssessmentBatch",
    "AssessmentIn",
    "EventBatch",
    "EventIn",
    "IngestResult",
    "MappedStatement",
    "Principal",
    "ServiceCore",
    "XapiMapper",
    "hash_key",
    "new_key",
    "parse_duration",
]
