"""The event store's interface: what every backend (SQLite, PostgreSQL) promises."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["AppendResult", "EventStore", "StatementWrite"]


@dataclass(frozen=True)
class AppendResult:
    """Outcome of one committed :meth:`EventStore.append_events` call.

    Parameters
    ----------
    accepted : int
        Events newly stored by this call.
    duplicates : int
        Rows that repeated an already stored event (same id, same content), including repeats
        inside the batch; they changed nothing. ``accepted + duplicates == len(rows)``.
    accepted_ids : list of str
        Ids of the newly stored events, in the order of their first occurrence in the batch.
    """

    accepted: int
    duplicates: int
    accepted_ids: list[str] = field(default_factory=list)


class StatementWrite(NamedTuple):
    """One xAPI statement to store: the arguments of :meth:`EventStore.put_statement`."""

    statement_id: str
    raw: dict[str, Any]
    mapped_event: dict[str, Any] | None
    mapped_assessments: list[dict[str, Any]]
    flags: list[str]
    learner_id: str | None = None


class EventStore(ABC):
    """Durable, idempotent store of events, assessments and xAPI statements (DESIGN §3, §7, §8).

    Every write is one transaction and returns only after it committed durably, so a server may
    answer 2xx as soon as the call returns. Every row gets a sequence number that only grows
    (numbers are never reused, and rows become visible in number order), so several server
    processes can each poll :meth:`events_since` / :meth:`assessments_since` and apply new rows.
    Methods are safe to call from several threads. A database that cannot be reached or written
    raises :class:`~pathfinder.errors.StoreUnavailableError` (the server answers 503).

    Rows are dicts keyed by the data-contract column names (:mod:`pathfinder.data.columns`).
    Event rows: ``event_id`` (UUID string), ``learner_id``, ``item_id``, ``verb``, ``timestamp``
    (timezone-aware ``datetime``, returned in UTC), ``duration_s``, ``score``, ``rating`` (float
    or None). Assessment rows: ``learner_id``, ``skill_id``, ``score``, ``assessed_at`` (aware
    ``datetime``), ``method``; read back with their server-side ``assessment_id``.
    """

    # -- writes -------------------------------------------------------------------------------

    @abstractmethod
    def append_events(self, rows: list[dict[str, Any]]) -> AppendResult:
        """Store a batch of events, idempotently by ``event_id``, all or nothing.

        Parameters
        ----------
        rows : list of dict
            Event rows (see the class docstring).

        Returns
        -------
        AppendResult
            New and duplicate counts, after the commit.

        Raises
        ------
        EventConflictError
            When an id is already stored, or repeated in the batch, with different content;
            names the ids, and nothing of the batch is stored.
        DataValidationError
            When a row lacks a column or holds a value of the wrong type (e.g. a naive time).
        """

    @abstractmethod
    def append_assessments(self, rows: list[dict[str, Any]]) -> int:
        """Store a batch of assessments in one transaction; each gets a server-side id.

        Returns
        -------
        int
            Number of assessments stored (committed).
        """

    def put_statement(
        self,
        statement_id: str,
        raw: dict[str, Any],
        mapped_event: dict[str, Any] | None,
        mapped_assessments: list[dict[str, Any]],
        flags: list[str],
        *,
        learner_id: str | None = None,
    ) -> bool:
        """Store one xAPI statement with the event and assessments it maps to, in one transaction.

        Parameters
        ----------
        statement_id : str
            The statement's ``id``; also the ``event_id`` of ``mapped_event``.
        raw : dict
            The statement as received; compared as canonical JSON (sorted keys).
        mapped_event : dict or None
            Event row the statement maps to; its ``event_id`` is ``statement_id`` (may be left
            out; a different id raises DataValidationError).
        mapped_assessments : list of dict
            Assessment rows the statement is evidence for (may be empty).
        flags : list of str
            Why the statement could not be fully mapped (e.g. ``unknown_actor``,
            ``unknown_activity``); a flagged statement is stored, never dropped.
        learner_id : str, optional
            The learner the statement is about, for erasure. Default: the mapped event's or
            assessments' learner, else ``raw["actor"]["account"]["name"]``.

        Returns
        -------
        bool
            True when stored now, False when the identical statement was already stored.

        Raises
        ------
        StatementConflictError
            When ``statement_id`` is stored with different content.
        EventConflictError
            When the mapped event's id is stored as an event with different content.
        """
        write = StatementWrite(
            statement_id, raw, mapped_event, mapped_assessments, flags, learner_id
        )
        return self.put_statements([write])[0]

    @abstractmethod
    def put_statements(self, statements: Sequence[StatementWrite]) -> list[bool]:
        """Store several statements in one transaction: all of them, or none on any error.

        An xAPI batch is all or nothing: a conflict in one statement, or a crash half-way,
        stores nothing of the batch.

        Returns
        -------
        list of bool
            Per statement, as :meth:`put_statement` (a repeat of an earlier statement of the
            same batch is not stored again).

        Raises
        ------
        StatementConflictError, EventConflictError, DataValidationError
            As :meth:`put_statement`; nothing of the batch is stored.
        """

    @abstractmethod
    def erase_learner(self, learner_id: str) -> dict[str, int]:
        """Delete everything stored about a learner, in one transaction (right to erasure).

        Only a salted hash of the id is kept, in the erasure log (see :meth:`erasures_since`).

        Returns
        -------
        dict of str to int
            Rows deleted per kind: ``events``, ``assessments``, ``statements``.
        """

    # -- reads --------------------------------------------------------------------------------

    @abstractmethod
    def get_statement(self, statement_id: str) -> dict[str, Any] | None:
        """The stored statement record, or None.

        Returns
        -------
        dict or None
            ``statement_id``, ``raw`` (the statement, a dict), ``learner_id``, ``item_id``,
            ``verb`` (mapped values, None when unmapped), ``flags`` (list of str), ``stored_at``
            (aware UTC ``datetime``).
        """

    @abstractmethod
    def events_for(self, learner_id: str) -> list[dict[str, Any]]:
        """A learner's events, oldest first (by timestamp, then arrival)."""

    @abstractmethod
    def assessments_for(self, learner_id: str) -> list[dict[str, Any]]:
        """A learner's assessments, oldest first (by ``assessed_at``, then arrival)."""

    @abstractmethod
    def events_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Events stored after ``cursor``, in arrival order.

        Parameters
        ----------
        cursor : int
            Sequence number returned by the previous call; 0 to start from the beginning.
        limit : int
            Maximum number of rows to return (>= 1).

        Returns
        -------
        rows : list of dict
            At most ``limit`` event rows.
        cursor : int
            The cursor to pass next time (unchanged when no row is new).
        """

    @abstractmethod
    def assessments_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Assessments stored after ``cursor``, in arrival order (as :meth:`events_since`)."""

    @abstractmethod
    def erasures_since(self, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Erasures logged after ``cursor``: rows of ``learner_hash`` and ``erased_at``.

        Another process compares ``learner_hash`` with :meth:`learner_hash` of the learners it
        caches, and drops their state.
        """

    @abstractmethod
    def heads(self) -> dict[str, int]:
        """The highest sequence number stored in each log (``events``, ``assessments``,
        ``erasures``; 0 when empty).

        One round trip, so a reader can skip the ``*_since`` queries unless a head is above its
        cursor. Erasure can lower a head (its rows are gone); numbers are never reused.
        """

    @abstractmethod
    def learner_hash(self, learner_id: str) -> str:
        """The salted hash under which an erasure of ``learner_id`` is logged (hex)."""

    @abstractmethod
    def count_events(self) -> int:
        """Number of stored events."""

    @abstractmethod
    def count_assessments(self) -> int:
        """Number of stored assessments."""

    @abstractmethod
    def count_statements(self) -> int:
        """Number of stored xAPI statements."""

    # -- lifecycle ----------------------------------------------------------------------------

    @abstractmethod
    def ping(self) -> None:
        """Check the database answers.

        Raises
        ------
        StoreUnavailableError
            When it does not.
        """

    @abstractmethod
    def drop_all(self) -> None:
        """Delete this store's tables (its namespace) and close it; for tests and teardown."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection; later calls raise StoreUnavailableError."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
