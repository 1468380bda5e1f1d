"""Library side of the model server, tested without BentoML (so far: the xAPI mapping)."""

from pathfinder.service._xapi import ADL_VERBS, MappedStatement, XapiMapper, parse_duration

__all__ = ["ADL_VERBS", "MappedStatement", "XapiMapper", "parse_duration"]
