"""The SQLAlchemy implementation of the store ports (SQLite and PostgreSQL).

Every write is one transaction that returns only once committed. Idempotency rests on
unique constraints with ``INSERT ... ON CONFLICT DO NOTHING`` (both dialects), so two
writers racing on the same key cannot both win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Insert, and_, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from careshift.adapters.event_json import event_from_dict, event_to_dict
from careshift.adapters.store.database import guarded_session, make_engine, upgrade
from careshift.adapters.store.schema import (
    Base,
    CensusChangeRow,
    EventRow,
    LeaveRow,
    MessageRow,
    QuarantineRow,
    RosterEntryRow,
)
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.events import Event, EventReversed, ShiftSwapped, StaffCalledOut
from careshift.service import projections
from careshift.service.ports import (
    AppendResult,
    CensusInterval,
    EventCounts,
    InboundMessage,
    LeaveEntry,
    OpenNeed,
    QuarantinedRecord,
    QuarantineRecord,
    RosterEntry,
    StoredEvent,
    Unavailability,
)

_STORE, _THEN = "the event store", "the input was not stored, resend it"

BATCH = 1000
"""Rows per transaction for bulk writes (roster, leave, quarantine): large enough to amortise
the commit (an fsync on SQLite), small enough to keep parameter lists and locks short."""

PRIMARY_KEY = ("source_system", "source_id")

T = TypeVar("T")


def _insert_for(dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite.insert
    if dialect == "postgresql":
        return postgresql.insert
    raise ServiceUnavailableError(f"database dialect {dialect!r} is not supported; use SQLite or PostgreSQL")


class _HotStatements:
    """The statements of the ingest path, built once: constructing and cache-keying a statement
    per call cost more CPU than executing it (measured: ~3 ms per message)."""

    def __init__(self, dialect: str) -> None:
        insert_ = _insert_for(dialect)
        tables = Base.metadata.tables
        message, event, change = tables["event_message"], tables["event"], tables["census_change"]
        self.insert_message = (
            insert_(message)
            .on_conflict_do_nothing(index_elements=["source_system", "message_id"])
            .returning(message.c.id)
        )
        self.insert_event = (
            insert_(event).on_conflict_do_nothing(index_elements=["source_system", "source_id"]).returning(event.c.id)
        )
        self.cancel_target = (
            update(event)
            .where(
                event.c.source_system == bindparam("t_system"),
                event.c.source_id == bindparam("t_id"),
                event.c.reversed_by_id.is_(None),
            )
            .values(reversed_by_system=bindparam("by_system"), reversed_by_id=bindparam("by_id"))
            .returning(event.c.id)
        )
        self.drop_change = delete(change).where(change.c.event_pk == bindparam("pk"))
        self.find_reversal = (
            select(event.c.source_system, event.c.source_id)
            .where(event.c.reverses_system == bindparam("r_system"), event.c.reverses_id == bindparam("r_id"))
            .order_by(event.c.id)
            .limit(1)
        )
        self.mark_cancelled = (
            update(event)
            .where(event.c.id == bindparam("pk"))
            .values(reversed_by_system=bindparam("by_system"), reversed_by_id=bindparam("by_id"))
        )
        self.insert_change = insert(change)
        self.find_message = select(message.c.id).where(
            message.c.source_system == bindparam("m_system"), message.c.message_id == bindparam("m_id")
        )


class SqlStore:
    """Event log, quarantine and projections in one SQL database.

    ``migrate=True`` (the default) runs the Alembic migrations first, so a fresh file or
    schema is ready to use.
    """

    def __init__(self, url: str, *, migrate: bool = True, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._hot = _HotStatements(self.engine.dialect.name)
        if migrate:
            upgrade(url, self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _transaction(self) -> AbstractContextManager[Session]:
        return guarded_session(self.engine, write=True, store=_STORE, then=_THEN)

    def _reading(self) -> AbstractContextManager[Session]:
        return guarded_session(self.engine, write=False, store=_STORE, then=_THEN)

    def _insert_ignoring(self, model: type[Any], keys: Sequence[str], values: dict[str, Any]) -> Insert:
        insert_ = _insert_for(self.engine.dialect.name)
        statement: Insert = insert_(model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
        return statement

    # -- event log -------------------------------------------------------------------------

    def append(self, events: Sequence[Event], message: InboundMessage | None = None) -> AppendResult:
        return self.append_many([(events, message)])[0]

    def append_many(self, batch: Sequence[tuple[Sequence[Event], InboundMessage | None]]) -> list[AppendResult]:
        with self._transaction() as session:
            return [self._append_message(session, events, message) for events, message in batch]

    def _append_message(
        self, session: Session, events: Sequence[Event], message: InboundMessage | None
    ) -> AppendResult:
        hot = self._hot
        message_pk: int | None = None
        if message is not None:
            message_pk = session.execute(
                hot.insert_message,
                {
                    "source_system": message.source_system,
                    "message_id": message.message_id,
                    "origin": message.origin,
                    "received_at": message.received_at,
                },
            ).scalar_one_or_none()
            if message_pk is None:
                return AppendResult((), tuple(event.key for event in events), message_duplicate=True)
        appended: list[tuple[str, str]] = []
        duplicates: list[tuple[str, str]] = []
        for event in events:
            (appended if self._append_one(session, event, message_pk) else duplicates).append(event.key)
        return AppendResult(tuple(appended), tuple(duplicates))

    def _append_one(self, session: Session, event: Event, message_pk: int | None) -> bool:
        hot = self._hot
        reverses = event.reverses if isinstance(event, EventReversed) else (None, None)
        event_pk = session.execute(
            hot.insert_event,
            {
                "source_system": event.source_system,
                "source_id": event.source_id,
                "kind": event.kind,
                "entity_id": event.entity_id,
                "unit": event.unit,
                "status": event.status.value,
                "occurred_at": event.occurred_at,
                "recorded_at": event.recorded_at,
                "payload": event_to_dict(event),
                "message_pk": message_pk,
                "reverses_system": reverses[0],
                "reverses_id": reverses[1],
                "reversed_by_system": None,
                "reversed_by_id": None,
            },
        ).scalar_one_or_none()
        if event_pk is None:
            return False
        if isinstance(event, EventReversed):
            target = session.execute(
                hot.cancel_target,
                {
                    "t_system": event.reverses[0],
                    "t_id": event.reverses[1],
                    "by_system": event.source_system,
                    "by_id": event.source_id,
                },
            ).scalar_one_or_none()
            if target is not None:
                session.execute(hot.drop_change, {"pk": target})
            return True
        # The reversal may have arrived first: then this event is born cancelled.
        reversal = session.execute(
            hot.find_reversal, {"r_system": event.source_system, "r_id": event.source_id}
        ).first()
        if reversal is not None:
            session.execute(hot.mark_cancelled, {"pk": event_pk, "by_system": reversal[0], "by_id": reversal[1]})
            return True
        change = projections.census_change(event)
        if change is not None:
            self._insert_change(session, event_pk, change)
        return True

    def _insert_change(self, session: Session, event_pk: int, change: projections.CensusChange) -> None:
        session.execute(
            self._hot.insert_change,
            {
                "event_pk": event_pk,
                "unit": change.unit,
                "occurred_at": change.occurred_at,
                "delta": change.delta,
                "snapshot": change.snapshot,
            },
        )

    def has_message(self, source_system: str, message_id: str) -> bool:
        with self._reading() as session:
            found = session.execute(self._hot.find_message, {"m_system": source_system, "m_id": message_id}).first()
        return found is not None

    def read(
        self, *, since: datetime | None = None, until: datetime | None = None, unit: str | None = None
    ) -> list[StoredEvent]:
        query = (
            select(EventRow, MessageRow.message_id, MessageRow.origin)
            .outerjoin(MessageRow, EventRow.message_pk == MessageRow.id)
            .order_by(EventRow.occurred_at, EventRow.source_system, EventRow.source_id)
        )
        if since is not None:
            query = query.where(EventRow.occurred_at >= since)
        if until is not None:
            query = query.where(EventRow.occurred_at < until)
        if unit is not None:
            query = query.where(EventRow.unit == unit)
        with self._reading() as session:
            rows = session.execute(query).all()
        return [_stored(row[0], row[1], row[2]) for row in rows]

    def appended_after(self, position: int, limit: int = 500) -> list[tuple[int, Event]]:
        """Events in the order the log received them, after log position ``position`` (the
        row id; 0 before the first), at most ``limit``: what the event feed follows."""
        query = select(EventRow.id, EventRow.payload).where(EventRow.id > position).order_by(EventRow.id).limit(limit)
        with self._reading() as session:
            rows = session.execute(query).all()
        return [(int(row_id), event_from_dict(payload)) for row_id, payload in rows]

    def log_end(self) -> int:
        """The latest log position (0 for an empty log)."""
        with self._reading() as session:
            return int(session.execute(select(func.coalesce(func.max(EventRow.id), 0))).scalar_one())

    def latest_from_message(
        self, source_system: str, entity_id: str, origins: Iterable[str], before: datetime
    ) -> list[Event]:
        wanted = list(origins)
        with self._reading() as session:
            latest = session.execute(
                select(EventRow.message_pk)
                .join(MessageRow, EventRow.message_pk == MessageRow.id)
                .where(
                    EventRow.source_system == source_system,
                    EventRow.entity_id == entity_id,
                    EventRow.reversed_by_id.is_(None),
                    EventRow.kind != EventReversed.__name__,
                    EventRow.occurred_at <= before,
                    MessageRow.origin.in_(wanted),
                )
                .order_by(EventRow.occurred_at.desc(), EventRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if latest is None:
                return []
            rows = session.scalars(
                select(EventRow)
                .where(
                    EventRow.message_pk == latest, EventRow.entity_id == entity_id, EventRow.reversed_by_id.is_(None)
                )
                .order_by(EventRow.id)
            ).all()
        return [event_from_dict(row.payload) for row in rows]

    def counts(self) -> EventCounts:
        with self._reading() as session:

            def grouped(column: Any, where: Any = None) -> dict[str, int]:
                query = select(column, func.count()).group_by(column)
                if where is not None:
                    query = query.where(where)
                return {str(key) if key is not None else "(none)": int(n) for key, n in session.execute(query).all()}

            total = session.scalar(select(func.count()).select_from(EventRow)) or 0
            cancelled = session.scalar(select(func.count()).where(EventRow.reversed_by_id.is_not(None))) or 0
            messages = session.scalar(select(func.count()).select_from(MessageRow)) or 0
            quarantined = session.scalar(select(func.count()).select_from(QuarantineRow)) or 0
            return EventCounts(
                total=int(total),
                reversed=int(cancelled),
                messages=int(messages),
                by_kind=grouped(EventRow.kind),
                by_source=grouped(EventRow.source_system),
                by_unit=grouped(EventRow.unit),
                quarantined=int(quarantined),
                quarantine_by_source=grouped(QuarantineRow.source),
                quarantine_by_code=grouped(QuarantineRow.code),
            )

    # -- quarantine ------------------------------------------------------------------------

    def quarantine(self, record: QuarantineRecord) -> int:
        digest = record.digest
        with self._transaction() as session:
            inserted = session.execute(
                self._insert_ignoring(
                    QuarantineRow, ("source", "location", "payload_sha256"), _quarantine_values(record, digest, 1)
                ).returning(QuarantineRow.id)
            ).scalar_one_or_none()
            if inserted is not None:
                return int(inserted)
            key = and_(
                QuarantineRow.source == record.source[:100],
                QuarantineRow.location == record.location[:200],
                QuarantineRow.payload_sha256 == digest,
            )
            existing = session.execute(
                update(QuarantineRow)
                .where(key)
                .values(attempts=QuarantineRow.attempts + 1, last_received_at=record.received_at)
                .returning(QuarantineRow.id)
            ).scalar_one()
            return int(existing)

    def quarantine_many(self, records: Iterable[QuarantineRecord]) -> int:
        """One upsert statement per batch of :data:`BATCH` records, each batch its own transaction.

        Records equal in (source, location, payload) are merged first, because one statement
        may not insert and update the same row twice (PostgreSQL refuses it).
        """
        table = Base.metadata.tables["quarantine"]
        insert_ = _insert_for(self.engine.dialect.name)
        written = 0
        for chunk in _chunks(records, BATCH):
            merged: dict[tuple[str, str, str], dict[str, Any]] = {}
            for record in chunk:
                digest = record.digest
                key = (record.source[:100], record.location[:200], digest)
                if key in merged:
                    merged[key]["attempts"] += 1
                    merged[key]["last_received_at"] = max(merged[key]["last_received_at"], record.received_at)
                else:
                    merged[key] = _quarantine_values(record, digest, 1)
            statement: Any = insert_(table)
            statement = statement.on_conflict_do_update(
                index_elements=["source", "location", "payload_sha256"],
                set_={
                    "attempts": table.c.attempts + statement.excluded.attempts,
                    "last_received_at": statement.excluded.last_received_at,
                },
            )
            with self._transaction() as session:
                session.execute(statement, list(merged.values()))
            written += len(chunk)
        return written

    def quarantined(self, source: str | None = None, limit: int = 100) -> list[QuarantinedRecord]:
        query = select(QuarantineRow).order_by(QuarantineRow.id.desc()).limit(limit)
        if source is not None:
            query = query.where(QuarantineRow.source == source)
        with self._reading() as session:
            rows = session.scalars(query).all()
            return [
                QuarantinedRecord(
                    id=row.id,
                    record=QuarantineRecord(
                        source=row.source,
                        reason=row.reason,
                        received_at=row.received_at,
                        location=row.location,
                        code=row.code,
                        source_system=row.source_system,
                        record_ref=row.record_ref,
                        payload=row.payload,
                        truncated=row.truncated,
                    ),
                    payload_sha256=row.payload_sha256,
                    attempts=row.attempts,
                )
                for row in rows
            ]

    # -- projections -----------------------------------------------------------------------

    def census(self, start: datetime, end: datetime, unit: str | None = None) -> list[CensusInterval]:
        query = (
            select(
                CensusChangeRow.occurred_at,
                EventRow.source_system,
                EventRow.source_id,
                CensusChangeRow.unit,
                CensusChangeRow.delta,
                CensusChangeRow.snapshot,
            )
            .join(EventRow, EventRow.id == CensusChangeRow.event_pk)
            .where(CensusChangeRow.occurred_at < end)
        )
        if unit is not None:
            query = query.where(CensusChangeRow.unit == unit)
        with self._reading() as session:
            rows = session.execute(query).all()
        changes = [
            projections.CensusChange(at, (system, source_id), name, delta, snapshot)
            for at, system, source_id, name, delta, snapshot in rows
        ]
        return projections.census_series(changes, start, end, unit)

    def put_roster(self, entries: Iterable[RosterEntry]) -> int:
        return self._upsert(RosterEntryRow, entries)

    def put_leave(self, entries: Iterable[LeaveEntry]) -> int:
        return self._upsert(LeaveRow, entries)

    def _upsert(self, model: type[RosterEntryRow] | type[LeaveRow], entries: Iterable[RosterEntry | LeaveEntry]) -> int:
        """Insert or update rows keyed by (source_system, source_id); the entry's fields name the columns.

        Works in batches of :data:`BATCH` entries, each one transaction: one query finds the
        stored rows of the batch, then one multi-row insert adds the new ones and one
        executemany updates the changed ones (a query per entry made a 5,000-row roster slow).
        """
        table = Base.metadata.tables[model.__tablename__]
        columns = [column.name for column in table.columns]
        changed = 0
        for chunk in _chunks(entries, BATCH):
            latest = {(entry.source_system, entry.source_id): dataclasses.asdict(entry) for entry in chunk}
            key = tuple_(table.c.source_system, table.c.source_id)
            with self._transaction() as session:
                stored = {
                    (row.source_system, row.source_id): row._asdict()
                    for row in session.execute(select(*table.columns).where(key.in_(list(latest))))
                }
                new = [values for k, values in latest.items() if k not in stored]
                moved = [
                    {f"b_{name}": value for name, value in values.items()}
                    for k, values in latest.items()
                    if k in stored and any(stored[k][name] != values[name] for name in columns)
                ]
                if new:
                    session.execute(insert(table), new)
                if moved:
                    session.execute(
                        update(table)
                        .where(
                            table.c.source_system == bindparam("b_source_system"),
                            table.c.source_id == bindparam("b_source_id"),
                        )
                        .values({name: bindparam(f"b_{name}") for name in columns if name not in PRIMARY_KEY}),
                        moved,
                    )
            changed += len(new) + len(moved)
        return changed

    def _effective_of_kind(self, session: Session, kind: str) -> list[Event]:
        rows = session.scalars(
            select(EventRow.payload).where(EventRow.kind == kind, EventRow.reversed_by_id.is_(None))
        ).all()
        return [event_from_dict(payload) for payload in rows]

    def roster(self, first_day: date, last_day: date, unit: str | None = None) -> list[RosterEntry]:
        with self._reading() as session:
            rows = session.scalars(
                select(RosterEntryRow).where(RosterEntryRow.day >= first_day, RosterEntryRow.day <= last_day)
            ).all()
            entries = [
                RosterEntry(row.source_system, row.source_id, row.staff, row.day, row.shift, row.unit, row.skill)
                for row in rows
            ]
            swaps = self._effective_of_kind(session, ShiftSwapped.__name__)
        return [entry for entry in projections.roster_after_swaps(entries, swaps) if unit is None or entry.unit == unit]

    def availability(self, first_day: date, last_day: date) -> list[Unavailability]:
        with self._reading() as session:
            rows = session.scalars(
                select(LeaveRow).where(LeaveRow.first_day <= last_day, LeaveRow.last_day >= first_day)
            ).all()
            leave = [LeaveEntry(r.source_system, r.source_id, r.staff, r.first_day, r.last_day, r.kind) for r in rows]
            callouts = self._effective_of_kind(session, StaffCalledOut.__name__)
        return projections.unavailability(leave, callouts, first_day, last_day)

    def open_needs(self, first_day: date, last_day: date, unit: str | None = None) -> list[OpenNeed]:
        return projections.open_needs(self.roster(first_day, last_day, unit), self.availability(first_day, last_day))

    def rebuild_projections(self) -> None:
        with self._transaction() as session:
            session.execute(delete(CensusChangeRow))
            session.execute(update(EventRow).values(reversed_by_system=None, reversed_by_id=None))
            rows = session.execute(select(EventRow.id, EventRow.payload).order_by(EventRow.id)).all()
            events = {event_pk: event_from_dict(payload) for event_pk, payload in rows}
            by_key = {event.key: event_pk for event_pk, event in events.items()}
            cancelled: dict[tuple[str, str], tuple[str, str]] = {}
            for event in events.values():
                if isinstance(event, EventReversed) and event.reverses in by_key:
                    cancelled.setdefault(event.reverses, event.key)
            for key, by in cancelled.items():
                session.execute(
                    update(EventRow)
                    .where(EventRow.id == by_key[key])
                    .values(reversed_by_system=by[0], reversed_by_id=by[1])
                )
            for event_pk, event in events.items():
                change = projections.census_change(event)
                if change is not None and event.key not in cancelled:
                    self._insert_change(session, event_pk, change)


def _quarantine_values(record: QuarantineRecord, digest: str, attempts: int) -> dict[str, Any]:
    return {
        # Clipped to the column sizes: a quarantine write must not fail on an over-long reference.
        "source": record.source[:100],
        "source_system": record.source_system[:200] if record.source_system else None,
        "record_ref": record.record_ref[:200] if record.record_ref else None,
        "location": record.location[:200],
        "code": record.code[:32],
        "reason": record.reason,
        "payload": record.payload,
        "payload_sha256": digest,
        "payload_size": len(record.payload or b""),
        "truncated": record.truncated,
        "attempts": attempts,
        "received_at": record.received_at,
        "last_received_at": record.received_at,
    }


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _stored(row: EventRow, message_id: str | None, origin: str | None) -> StoredEvent:
    reversed_by = None
    if row.reversed_by_system is not None and row.reversed_by_id is not None:
        reversed_by = (row.reversed_by_system, row.reversed_by_id)
    return StoredEvent(event_from_dict(row.payload), reversed_by, message_id, origin)
