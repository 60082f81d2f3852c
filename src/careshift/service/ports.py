"""Ports: what the service layer needs from storage, as protocols with plain records.

``careshift.adapters.store`` implements them on SQLAlchemy (SQLite, PostgreSQL);
``careshift.adapters.store.memory`` implements them in memory for unit tests. Both must
pass the same repository test suite.

The event log is idempotent on the event key (source system, source id) and keeps an
optional *message ledger* (source system, message id: HL7 MSH-10, a CSV file hash, a FHIR
``meta.versionId``) so a resent message is recognised before it is mapped again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from careshift.domain.events import Event
from careshift.domain.time import require_aware


@dataclass(frozen=True)
class InboundMessage:
    """One message from outside (an HL7 message, a CSV file, a FHIR page) that yielded events.

    ``origin`` says what kind of message it was (``ADT^A01``, ``csv:roster``); it lets a later
    cancellation find the events of the message it cancels.
    """

    source_system: str
    message_id: str
    origin: str
    received_at: datetime

    def __post_init__(self) -> None:
        require_aware(self.received_at, "message received_at")


@dataclass(frozen=True)
class AppendResult:
    """What an append did: the keys it stored and the keys it already had."""

    appended: tuple[tuple[str, str], ...]
    duplicates: tuple[tuple[str, str], ...]
    message_duplicate: bool = False


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log holds it: ``reversed_by`` is the key of the event cancelling it."""

    event: Event
    reversed_by: tuple[str, str] | None = None
    message_id: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class QuarantineRecord:
    """Input we could not accept, kept so nothing is lost.

    ``source`` is the channel (``hl7v2/mllp``, ``csv/roster``, ``fhir/Encounter``);
    ``record_ref`` points at the record without PHI (an MSH-10, a row number, a resource id);
    ``location`` is where inside it the problem is (``PV1-3``, ``row 17 column shift``);
    ``reason`` says what is wrong and how to fix it, without repeating the content.
    ``payload`` is the raw record (it may hold PHI: the quarantine table is access
    controlled and never logged); ``truncated`` marks a payload cut at a size limit.
    """

    source: str
    reason: str
    received_at: datetime
    location: str = ""
    code: str = ""
    source_system: str | None = None
    record_ref: str | None = None
    payload: bytes | None = None
    truncated: bool = False

    def __post_init__(self) -> None:
        require_aware(self.received_at, "quarantine received_at")

    @property
    def digest(self) -> str:
        """The record's identity in quarantine: SHA-256 of the payload (of reference and reason without one)."""
        content = self.payload if self.payload is not None else f"{self.record_ref}|{self.reason}".encode()
        return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class QuarantinedRecord:
    """A quarantine row: the record plus its id, payload digest and how often it arrived."""

    id: int
    record: QuarantineRecord
    payload_sha256: str
    attempts: int


@dataclass(frozen=True)
class CensusInterval:
    """Patients on ``unit`` at the end of the 15-minute interval starting at ``start``.

    ``patients`` can come out negative when the feed is inconsistent (a discharge without
    its admission); the quality gate reports that instead of the store hiding it.
    """

    unit: str
    start: datetime
    patients: int


@dataclass(frozen=True, order=True)
class RosterEntry:
    """One rostered assignment imported from a workforce system, keyed for idempotency."""

    source_system: str
    source_id: str
    staff: str
    day: date
    shift: str
    unit: str | None = None
    skill: str | None = None


@dataclass(frozen=True, order=True)
class LeaveEntry:
    """Planned leave of ``staff`` from ``first_day`` to ``last_day`` inclusive."""

    source_system: str
    source_id: str
    staff: str
    first_day: date
    last_day: date
    kind: str = "leave"


@dataclass(frozen=True, order=True)
class Unavailability:
    """``staff`` cannot work ``shift`` (``None``: any shift) on ``day``; ``cause`` is the key."""

    staff: str
    day: date
    shift: str | None
    kind: str
    cause: tuple[str, str]


@dataclass(frozen=True, order=True)
class OpenNeed:
    """A rostered assignment left uncovered because its staff member is unavailable."""

    unit: str | None
    day: date
    shift: str
    skill: str | None
    staff: str
    cause: tuple[str, str]


@dataclass(frozen=True)
class EventCounts:
    """Counts for an operator: events by kind, source system and unit; quarantine by source and code."""

    total: int
    reversed: int
    messages: int
    by_kind: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    quarantine_by_source: dict[str, int] = field(default_factory=dict)
    quarantine_by_code: dict[str, int] = field(default_factory=dict)


class EventLog(Protocol):
    """The append-only log of canonical events."""

    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        """Store ``events`` (and the message that carried them) in one transaction, skipping known keys.

        Returns only after the transaction is durably committed.
        """
        ...

    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        """``append`` for several messages in *one* transaction (group commit), results in order.

        Each message is still de-duplicated on its own; all or none are committed.
        """
        ...

    def has_message(self, source_system: str, message_id: str) -> bool:
        """True when the message ledger already holds this message."""
        ...

    def read(
        self, *, since: datetime | None = None, until: datetime | None = None, unit: str | None = None
    ) -> list[StoredEvent]:
        """Events with ``since <= occurred_at < until`` in occurrence order (ties by key)."""
        ...

    def appended_after(self, position: int, limit: int = 500) -> list[tuple[int, Event]]:
        """Events in the order the log received them, after log position ``position`` (0: from
        the start), with their positions: what the event feed follows."""
        ...

    def log_end(self) -> int:
        """The position of the last event received (0 for an empty log)."""
        ...

    def latest_from_message(
        self, source_system: str, entity_id: str, origins: Iterable[str], before: datetime
    ) -> list[Event]:
        """The still-effective events about ``entity_id`` from the latest message of one of ``origins``.

        That message is the latest by occurrence time at or before ``before``; a cancellation
        (HL7 A11/A12/A13) reverses these events.
        """
        ...

    def counts(self) -> EventCounts:
        """Counts for ``careshift events stats``."""
        ...


class Quarantine(Protocol):
    """Where bad input waits, with the reason, until someone fixes and replays it."""

    def quarantine(self, record: QuarantineRecord) -> int:
        """Keep ``record`` durably; the same payload from the same place is kept once (attempts counted)."""
        ...

    def quarantine_many(self, records: Iterable[QuarantineRecord]) -> int:
        """Keep every record as :meth:`quarantine` does, a batch per transaction (for files with
        many bad rows); returns how many records were written."""
        ...

    def quarantined(self, source: str | None = None, limit: int = 100) -> list[QuarantinedRecord]:
        """The most recent quarantined records, newest first."""
        ...


class Projections(Protocol):
    """Read models derived from the log: always equal to a replay of the log in occurrence order."""

    def census(self, start: datetime, end: datetime, unit: str | None = None) -> list[CensusInterval]:
        """Census per unit per 15-minute interval in ``[start, end)``, by unit then start."""
        ...

    def put_roster(self, entries: Iterable[RosterEntry]) -> int:
        """Upsert roster entries by key; returns how many were new or changed."""
        ...

    def put_leave(self, entries: Iterable[LeaveEntry]) -> int:
        """Upsert leave entries by key; returns how many were new or changed."""
        ...

    def roster(self, first_day: date, last_day: date, unit: str | None = None) -> list[RosterEntry]:
        """The roster after swaps, for days in ``[first_day, last_day]``."""
        ...

    def availability(self, first_day: date, last_day: date) -> list[Unavailability]:
        """Who is unavailable (leave, call-outs) on days in ``[first_day, last_day]``."""
        ...

    def open_needs(self, first_day: date, last_day: date, unit: str | None = None) -> list[OpenNeed]:
        """Rostered assignments whose staff are unavailable."""
        ...

    def rebuild_projections(self) -> None:
        """Recompute every materialised projection from the log (after a migration or repair)."""
        ...


class Store(EventLog, Quarantine, Projections, Protocol):
    """Everything the ingest and planning services need from storage."""

    def close(self) -> None:
        """Release connections."""
        ...
