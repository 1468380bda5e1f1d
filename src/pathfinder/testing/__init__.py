"""Load and fault harness for the reliability tier (``tests/reliability``) and its benchmark.

Not used by the service: it starts real servers (:class:`Deployment`), kills them, cuts their
database link (:class:`TcpProxy`), drives load and reports what was acknowledged against what
was stored.
"""

from pathfinder.testing._crash import Batch, CrashResult, crash_durability
from pathfinder.testing._deploy import POSTGRES_URL, Deployment
from pathfinder.testing._load import Recorder, Sample, events_batch, percentile, statement
from pathfinder.testing._openloop import Shot, encode_request, open_loop
from pathfinder.testing._proxy import TcpProxy

__all__ = [
    "POSTGRES_URL",
    "Batch",
    "CrashResult",
    "Deployment",
    "Recorder",
    "Sample",
    "Shot",
    "TcpProxy",
    "crash_durability",
    "encode_request",
    "events_batch",
    "open_loop",
    "percentile",
    "statement",
]
