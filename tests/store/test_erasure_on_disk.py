"""Right to erasure on disk: no copy of an erased learner's rows stays in SQLite's files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from pathfinder.store import open_store


def test_erased_rows_leave_neither_the_database_file_nor_the_write_ahead_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    store = open_store(f"sqlite:///{path}", namespace="t_erase")
    row = {
        "learner_id": "erase-me-42",
        "item_id": "i1",
        "verb": "completed",
        "timestamp": datetime(2026, 1, 5, tzinfo=UTC),
        "duration_s": None,
        "score": None,
        "rating": None,
    }
    rows = [{**row, "event_id": str(uuid.uuid4())} for _ in range(50)]
    rows += [{**r, "event_id": str(uuid.uuid4()), "learner_id": "keep-me"} for r in rows]
    try:
        store.append_events(rows)
        wal = path.with_name(path.name + "-wal")
        assert b"erase-me-42" in wal.read_bytes()  # the committed rows sit in the log first
        assert store.erase_learner("erase-me-42")["events"] == 50
        for file in (path, wal):  # checked while the store is open: no clean close helps
            data = file.read_bytes() if file.exists() else b""
            assert b"erase-me-42" not in data, file.name
        assert store.count_events() == 50
    finally:
        store.close()
