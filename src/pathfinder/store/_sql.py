"""The store's logic in portable SQL; backends supply connections, transactions and DDL."""

from __future__ import annotations

import json
import uuid
from abc import abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from pathfinder.data import columns as C
from pathfinder.errors import (
    ConfigError,
    DataValidationError,
    EventConflictError,
    StatementConflictError,
    ValidationIssue,
)
from pathfinder.store._base import AppendResult, EventStore, StatementWrite
from pathfinder.store._rows import (
    ASSESSMENT_COLUMNS,
    EVENT_COLUMNS,
    AssessmentRecord,
    EventRecord,
    canonical_json,
    dedupe_events,
    keyed_hash,
    to_assessments,
    to_events,
)

__all__ = ["TABLES", "SqlEventStore", "Tx"]

#: Logical table names; backends qualify them with the namespace.
TABLES = ("events", "assessments", "statements", "erasures", "meta")
_CHUNK = 500  # ids per IN (...) lookup, well under every driver's parameter limit
_EV_COLS = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
_AS_COLS = ", ".join(f'"{c}"' for c in ASSESSMENT_COLUMNS)


class Tx(Protocol):
    """A connection inside one transaction (or autocommit, for reads); SQL uses ``?``."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a statement and return its rows."""
        ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return the number of rows it changed."""
        ...


def _check_cursor(cursor: int, limit: int) -> None:
    if cursor < 0 or limit < 1:
        raise ConfigError(f"expected cursor >= 0 and limit >= 1, got cursor={cursor}, {limit=}")


class SqlEventStore(EventStore):
    """:class:`EventStore` over a SQL database; subclasses provide the backend hooks."""

    _salt: str = ""

    # -- backend hooks ------------------------------------------------------------------------

    @abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[Tx]:
        """A borrowed connection; for ``write`` one serialised, durable transaction.

        Write transactions of all processes on the database run one at a time (so sequence
        numbers become visible in order); driver errors leave as StoreUnavailableError.
        """

    @abstractmethod
    def _table(self, name: str) -> str:
        """The qualified, quoted SQL name of logical table ``name``."""

    @abstractmethod
    def _ts_in(self, value: datetime) -> Any:
        """A UTC datetime as the driver parameter of a timestamp column."""

    @abstractmethod
    def _ts_out(self, value: Any) -> datetime:
        """A timestamp column's value as an aware UTC datetime."""

    # -- shared helpers -----------------------------------------------------------------------

    def _init_meta(self, salt: str) -> None:
        """Store a new random salt unless one exists, then load it (after the DDL ran)."""
        meta = self._table("meta")
        with self._transaction(write=True) as tx:
            tx.run(
                f"INSERT INTO {meta} (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                ("salt", salt),
            )
            self._salt = str(tx.query(f"SELECT value FROM {meta} WHERE key = ?", ("salt",))[0][0])

    def _event_params(self, ev: EventRecord) -> tuple[Any, ...]:
        return (*ev[:4], self._ts_in(ev.timestamp), *ev[5:])

    def _event_out(self, row: Sequence[Any]) -> EventRecord:
        return EventRecord(
            str(row[0]),
            str(row[1]),
            str(row[2]),
            str(row[3]),
            self._ts_out(row[4]),
            None if row[5] is None else float(row[5]),
            None if row[6] is None else float(row[6]),
            None if row[7] is None else float(row[7]),
        )

    def _assessment_out(self, row: Sequence[Any]) -> dict[str, Any]:
        rec = AssessmentRecord(
            str(row[1]), str(row[2]), float(row[3]), self._ts_out(row[4]), str(row[5])
        )
        return {"assessment_id": str(row[0]), **dict(zip(ASSESSMENT_COLUMNS, rec, strict=True))}

    def _insert_values(
        self, tx: Tx, table: str, cols: str, rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> list[tuple[Any, ...]]:
        """Multi-row ``INSERT ... VALUES`` in chunks; returns the rows of a RETURNING ``tail``."""
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            one = "(" + ", ".join("?" * len(chunk[0])) + ")"
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))} {tail}"
            params = [v for row in chunk for v in row]
            if tail:
                out.extend(tx.query(sql, params))
            else:
                tx.run(sql, params)
        return out

    def _insert_events(self, tx: Tx, events: Sequence[EventRecord]) -> list[str]:
        """Insert the events not yet stored; returns their ids. Raises on a content conflict.

        The insert skips stored ids (``ON CONFLICT DO NOTHING``); only those are then read back
        and compared, so a batch of new events costs one statement per chunk.
        """
        table = self._table("events")
        inserted = {
            str(row[0])
            for row in self._insert_values(
                tx,
                table,
                _EV_COLS,
                [self._event_params(ev) for ev in events],
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            )
        }
        repeated = [ev.event_id for ev in events if ev.event_id not in inserted]
        stored: dict[str, EventRecord] = {}
        for start in range(0, len(repeated), _CHUNK):
            chunk = repeated[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in tx.query(
                f"SELECT {_EV_COLS} FROM {table} WHERE event_id IN ({marks})", chunk
            ):
                stored[str(row[0])] = self._event_out(row)
        conflicts = [ev.event_id for ev in events if stored.get(ev.event_id, ev) != ev]
        if conflicts:
            raise EventConflictError(conflicts)  # the transaction rolls back the inserted rows
        return [ev.event_id for ev in events if ev.event_id in inserted]

    def _insert_assessments(
        self, tx: Tx, recs: Sequence[AssessmentRecord], statement_id: str | None
    ) -> None:
        params = [
            (uuid.uuid4().hex, *r[:3], self._ts_in(r.assessed_at), r.method, statement_id)
            for r in recs
        ]
        self._insert_values(
            tx, self._table("assessments"), f"assessment_id, {_AS_COLS}, statement_id", params
        )

    # -- writes -------------------------------------------------------------------------------

    def append_events(self, rows: list[dict[str, Any]]) -> AppendResult:
        unique, repeats, conflicts = dedupe_events(to_events(rows))
        if conflicts:
            raise EventConflictError(conflicts)
        if not unique:
            return AppendResult(0, repeats, [])
        with self._transaction(write=True) as tx:
            new = self._insert_events(tx, unique)
        return AppendResult(len(new), repeats + len(unique) - len(new), new)

    def append_assessments(self, rows: list[dict[str, Any]]) -> int:
        recs = to_assessments(rows)
        if recs:
            with self._transaction(write=True) as tx:
                self._insert_assessments(tx, recs, None)
        return len(recs)

    def put_statements(self, statements: Sequence[StatementWrite]) -> list[bool]:
        prepared = [self._prepare_statement(s) for s in statements]
        with self._transaction(write=True) as tx:
            return [self._put_statement(tx, *row) for row in prepared]

    def _prepare_statement(
        self, s: StatementWrite
    ) -> tuple[str, str, str | None, EventRecord | None, list[AssessmentRecord], list[str]]:
        """Validate one statement's rows before the transaction starts."""
        event = None
        if s.mapped_event is not None:
            given = s.mapped_event.get(C.EVENT_ID) or s.statement_id
            if given != s.statement_id:
                raise DataValidationError(
                    [
                        ValidationIssue(
                            "statements",
                            f"mapped event_id {given!r} differs from statement id "
                            f"{s.statement_id!r}; they must be equal",
                            column=C.EVENT_ID,
                        )
                    ]
                )
            event = to_events([{**s.mapped_event, C.EVENT_ID: s.statement_id}])[0]
        recs = to_assessments(s.mapped_assessments)
        learner_id = s.learner_id
        if learner_id is None:
            learner_id = _statement_learner(s.raw, event, recs)
        return s.statement_id, canonical_json(s.raw), learner_id, event, recs, list(s.flags)

    def _put_statement(
        self,
        tx: Tx,
        statement_id: str,
        text: str,
        learner_id: str | None,
        event: EventRecord | None,
        recs: list[AssessmentRecord],
        flags: list[str],
    ) -> bool:
        table = self._table("statements")
        found = tx.query(f"SELECT raw FROM {table} WHERE statement_id = ?", (statement_id,))
        if found:
            if found[0][0] == text:
                return False
            raise StatementConflictError(statement_id)  # the transaction rolls back the batch
        tx.run(
            f"INSERT INTO {table} (statement_id, learner_id, item_id, verb, flags, raw, "
            "stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                statement_id,
                learner_id,
                None if event is None else event.item_id,
                None if event is None else event.verb,
                json.dumps(flags),
                text,
                self._ts_in(datetime.now(UTC)),
            ),
        )
        if event is not None:
            self._insert_events(tx, [event])
        if recs:
            self._insert_assessments(tx, recs, statement_id)
        return True

    def erase_learner(self, learner_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._transaction(write=True) as tx:
            for name in ("events", "assessments", "statements"):
                counts[name] = tx.run(
                    f"DELETE FROM {self._table(name)} WHERE learner_id = ?", (learner_id,)
                )
            tx.run(
                f"INSERT INTO {self._table('erasures')} (learner_hash, erased_at, events, "
                "assessments, statements) VALUES (?, ?, ?, ?, ?)",
                (
                    self.learner_hash(learner_id),
                    self._ts_in(datetime.now(UTC)),
                    counts["events"],
                    counts["assessments"],
                    counts["statements"],
                ),
            )
        return counts

    # -- reads --------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._transaction(write=False) as tx:
            return tx.query(sql, params)

    def get_statement(self, statement_id: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT statement_id, learner_id, item_id, verb, flags, raw, stored_at "
            f"FROM {self._table('statements')} WHERE statement_id = ?",
            (statement_id,),
        )
        if not rows:
            return None
        sid, learner, item, verb, flags, raw, stored_at = rows[0]
        return {
            "statement_id": sid,
            "raw": json.loads(raw),
            "learner_id": learner,
            "item_id": item,
            "verb": verb,
            "flags": json.loads(flags),
            "stored_at": self._ts_out(stored_at),
        }

    def events_for(self, learner_id: str) -> list[dict[str, Any]]:
        rows = self._query(
            f"SELECT {_EV_COLS} FROM {self._table('events')} WHERE learner_id = ? "
            'ORDER BY "timestamp", seq',
            (learner_id,),
        )
        return [self._event_out(r).as_row() for r in rows]

    def assessments_for(self, learner_id: str) -> list[dict[str, Any]]:
        rows = self._query(
            f"SELECT assessment_id, {_AS_COLS} FROM {self._table('assessments')} "
            "WHERE learner_id = ? ORDER BY assessed_at, seq",
            (learner_id,),
        )
        return [self._assessment_out(r) for r in rows]

    def events_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        _check_cursor(cursor, limit)
        rows = self._query(
            f"SELECT {_EV_COLS}, seq FROM {self._table('events')} WHERE seq > ? "
            "ORDER BY seq LIMIT ?",
            (cursor, limit),
        )
        return [self._event_out(r).as_row() for r in rows], int(rows[-1][-1]) if rows else cursor

    def assessments_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        _check_cursor(cursor, limit)
        rows = self._query(
            f"SELECT assessment_id, {_AS_COLS}, seq FROM {self._table('assessments')} "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (cursor, limit),
        )
        return [self._assessment_out(r) for r in rows], int(rows[-1][-1]) if rows else cursor

    def erasures_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        _check_cursor(cursor, limit)
        rows = self._query(
            f"SELECT learner_hash, erased_at, seq FROM {self._table('erasures')} "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (cursor, limit),
        )
        out = [{"learner_hash": str(h), "erased_at": self._ts_out(t)} for h, t, _ in rows]
        return out, int(rows[-1][-1]) if rows else cursor

    def heads(self) -> dict[str, int]:
        logs = ("events", "assessments", "erasures")
        row = self._query(
            "SELECT "
            + ", ".join(f"(SELECT COALESCE(MAX(seq), 0) FROM {self._table(t)})" for t in logs)
        )[0]
        return {name: int(value) for name, value in zip(logs, row, strict=True)}

    def learner_hash(self, learner_id: str) -> str:
        return keyed_hash(self._salt, learner_id)

    def _count(self, name: str) -> int:
        return int(self._query(f"SELECT COUNT(*) FROM {self._table(name)}")[0][0])

    def count_events(self) -> int:
        return self._count("events")

    def count_assessments(self) -> int:
        return self._count("assessments")

    def count_statements(self) -> int:
        return self._count("statements")

    def ping(self) -> None:
        self._query("SELECT 1")


def _statement_learner(
    raw: dict[str, Any], event: EventRecord | None, recs: Sequence[AssessmentRecord]
) -> str | None:
    """The learner a statement is about: mapped rows first, else the actor's account name."""
    if event is not None:
        return event.learner_id
    if recs:
        return recs[0].learner_id
    actor = raw.get("actor")
    account = actor.get("account") if isinstance(actor, dict) else None
    name = account.get("name") if isinstance(account, dict) else None
    return name if isinstance(name, str) and name else None
