"""SQLAlchemy 2 models of the store. The Alembic migrations in ``migrations/`` create them.

Tables:

- ``event_message``: the message ledger, unique on (source_system, message_id) (HL7 MSH-10).
- ``event``: the canonical event log, unique on (source_system, source_id); ``reverses_*``
  names the target of an ``EventReversed``, ``reversed_by_*`` marks a cancelled event.
- ``census_change``: the materialised census effect of each effective event.
- ``quarantine``: input we could not accept, with reason and payload, for HL7, CSV and FHIR.
- ``roster_entry`` and ``staff_leave``: imported workforce state, upserted by key.
- ``stream_record`` and ``stream_offset``: the embedded event stream (log and consumer offsets).
- ``fhir_export_checkpoint``: last ``transactionTime`` per FHIR Bulk export.

Instants are stored in UTC (``UtcDateTime``) so SQLite text sorts in time order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

KEY = String(200)
PK = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; refuses naive values, returns aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a timezone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class MessageRow(Base):
    __tablename__ = "event_message"
    __table_args__ = (UniqueConstraint("source_system", "message_id", name="uq_event_message_key"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(KEY)
    message_id: Mapped[str] = mapped_column(KEY)
    origin: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventRow(Base):
    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("source_system", "source_id", name="uq_event_key"),
        Index("ix_event_occurred", "occurred_at"),
        Index("ix_event_entity", "entity_id"),
        Index("ix_event_reverses", "reverses_system", "reverses_id"),
        Index("ix_event_message", "message_pk"),
        Index("ix_event_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(KEY)
    source_id: Mapped[str] = mapped_column(KEY)
    kind: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(KEY)
    unit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON())
    message_pk: Mapped[int | None] = mapped_column(PK, ForeignKey("event_message.id"))
    reverses_system: Mapped[str | None] = mapped_column(KEY)
    reverses_id: Mapped[str | None] = mapped_column(KEY)
    reversed_by_system: Mapped[str | None] = mapped_column(KEY)
    reversed_by_id: Mapped[str | None] = mapped_column(KEY)


class CensusChangeRow(Base):
    __tablename__ = "census_change"
    __table_args__ = (Index("ix_census_change_unit_time", "unit", "occurred_at"),)

    event_pk: Mapped[int] = mapped_column(PK, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delta: Mapped[int] = mapped_column(Integer())
    snapshot: Mapped[int | None] = mapped_column(Integer())


class QuarantineRow(Base):
    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source", "location", "payload_sha256", name="uq_quarantine_record"),
        Index("ix_quarantine_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    source_system: Mapped[str | None] = mapped_column(KEY)
    record_ref: Mapped[str | None] = mapped_column(KEY)
    location: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text())
    payload: Mapped[bytes | None] = mapped_column(LargeBinary())
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload_size: Mapped[int] = mapped_column(BigInteger())
    truncated: Mapped[bool] = mapped_column(Boolean())
    attempts: Mapped[int] = mapped_column(Integer())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RosterEntryRow(Base):
    __tablename__ = "roster_entry"
    __table_args__ = (Index("ix_roster_entry_day", "day"),)

    source_system: Mapped[str] = mapped_column(KEY, primary_key=True)
    source_id: Mapped[str] = mapped_column(KEY, primary_key=True)
    staff: Mapped[str] = mapped_column(KEY)
    day: Mapped[date] = mapped_column(Date())
    shift: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(64))
    skill: Mapped[str | None] = mapped_column(String(64))


class LeaveRow(Base):
    __tablename__ = "staff_leave"
    __table_args__ = (Index("ix_staff_leave_days", "first_day", "last_day"),)

    source_system: Mapped[str] = mapped_column(KEY, primary_key=True)
    source_id: Mapped[str] = mapped_column(KEY, primary_key=True)
    staff: Mapped[str] = mapped_column(KEY)
    first_day: Mapped[date] = mapped_column(Date())
    last_day: Mapped[date] = mapped_column(Date())
    kind: Mapped[str] = mapped_column(String(32))


class StreamRecordRow(Base):
    """One record of the embedded event stream's log; ``log_offset`` counts from 0 without gaps."""

    __tablename__ = "stream_record"

    log_offset: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(KEY)
    payload: Mapped[bytes] = mapped_column(LargeBinary())


class StreamOffsetRow(Base):
    """A consumer group's committed position in ``stream_record`` (the next offset to handle)."""

    __tablename__ = "stream_offset"

    consumer_group: Mapped[str] = mapped_column(KEY, primary_key=True)
    next_offset: Mapped[int] = mapped_column(PK)


class ExportCheckpointRow(Base):
    """The ``transactionTime`` of the last completed FHIR Bulk export of each name."""

    __tablename__ = "fhir_export_checkpoint"

    name: Mapped[str] = mapped_column(KEY, primary_key=True)
    transaction_time: Mapped[datetime] = mapped_column(UtcDateTime())
