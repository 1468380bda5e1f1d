"""Store outage: PostgreSQL goes away (or its packets are dropped) under load, then comes back.

Writes answer 503 at once, reads keep serving (the model's last state), and the same server
process resumes writing within seconds of the restore. The link is cut by a loopback proxy
(:class:`pathfinder.testing.TcpProxy`); the machine's PostgreSQL itself is never stopped.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Literal

import pytest
from tests.reliability.conftest import Deploy

from pathfinder.errors import StoreUnavailableError
from pathfinder.store import open_store
from pathfinder.testing import POSTGRES_URL, TcpProxy, percentile
from pathfinder.testing._outage import store_outage

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def _ms(samples: list[float]) -> float:
    return percentile((s * 1e3 for s in samples), 99)


@pytest.mark.parametrize(("mode", "outage_s"), [("refuse", 4.0), ("blackhole", 9.0)])
def test_writes_503_reads_serve_and_the_server_recovers_without_restart(
    deploy: Deploy, mode: Literal["refuse", "blackhole"], outage_s: float
) -> None:
    dep = deploy("postgresql")
    result = store_outage(dep, mode, outage_s=outage_s)
    rec = result.recorder
    for route in ("write", "read"):
        assert set(rec.outcomes(route, "before")) == {200}, rec.outcomes(route, "before")
        assert set(rec.outcomes(route, "after")) == {200}, rec.outcomes(route, "after")
    assert rec.server_errors(allowed=[503]) == 0
    assert not rec.select(outcome="lost") and not rec.select(outcome="refused")
    # during the outage every write is refused with 503, reads all answer
    writes = rec.outcomes("write", "outage")
    assert set(writes) == {503} and writes[503] >= 10, writes
    reads = rec.select("read", "outage")
    assert {s.outcome for s in reads} == {200} and len(reads) >= 20
    if mode == "refuse":  # a refused connection is noticed at once
        assert _ms([s.latency_s for s in rec.select("write", "outage")]) < 500
        assert _ms([s.latency_s for s in reads]) < 500
    else:  # calls caught in the black hole end at the store's 5 s deadline, later ones at once
        assert max(s.latency_s for s in rec.select(phase="outage")) < 6.5
        assert percentile((s.latency_s for s in rec.select("write", "outage")), 50) < 0.1
        assert percentile((s.latency_s for s in reads), 50) < 0.1
    assert result.recovery_s < 3.0
    assert result.server_starts == 1  # recovered without a restart
    assert len(result.acknowledged) >= 100 and result.missing_acknowledged() == 0


def test_a_hung_database_call_is_cut_then_fails_fast_then_recovers() -> None:
    """The store's own guard: deadline per call, fail-fast while down, one probe at a time."""
    namespace = f"t_{uuid.uuid4().hex[:12]}"
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = POSTGRES_URL.replace("127.0.0.1:5432", proxy.url_host)
        store = open_store(url, namespace=namespace)
        store._watchdog.timeout_s = 0.5  # type: ignore[attr-defined]
        try:
            store.append_events(
                [
                    {
                        "event_id": str(uuid.uuid4()),
                        "learner_id": "l1",
                        "item_id": "i1",
                        "verb": "completed",
                        "timestamp": datetime(2026, 1, 5, 10, tzinfo=UTC),
                        "duration_s": None,
                        "score": None,
                        "rating": None,
                    }
                ]
            )
            proxy.cut("blackhole")
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError, match=r"no answer within 0\.5 s"):
                store.count_events()
            assert 0.45 < time.monotonic() - started < 2.0
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError, match="retry shortly"):
                store.count_events()  # no connection attempt while it counts as down
            assert time.monotonic() - started < 0.1
            proxy.restore()
            deadline = time.monotonic() + 10
            while True:
                try:
                    assert store.count_events() == 1
                    break
                except StoreUnavailableError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        finally:
            store.close()
    open_store(POSTGRES_URL, namespace=namespace).drop_all()
