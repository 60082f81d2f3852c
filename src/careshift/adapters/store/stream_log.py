"""The embedded event stream's log and the FHIR Bulk export checkpoints, kept in the store.

:class:`SqlLogStorage` is the durable :class:`careshift.adapters.stream.LogStorage`: records
get offsets 0, 1, 2, … without gaps, and a consumer group's offset survives a restart, so the
embedded stream keeps Kafka's at-least-once contract across processes. :class:`SqlExportCheckpoints`
is the durable :class:`careshift.adapters.fhir.ExportCheckpoints`.

Offsets are assigned inside the appending transaction from ``max(offset) + 1``. On PostgreSQL
the transaction first locks the table against other appenders (readers are not blocked):
without the lock two appenders could take the same offset, or a later offset could become
visible before an earlier one commits and a consumer would step over the earlier record for
good. SQLite serialises writers by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, case, func, insert, literal, select, text
from sqlalchemy.orm import Session

from careshift.adapters.store.database import guarded_session
from careshift.adapters.store.schema import Base, ExportCheckpointRow, StreamOffsetRow, StreamRecordRow
from careshift.adapters.store.sql import _insert_for
from careshift.adapters.stream.embedded import LogRecord

if TYPE_CHECKING:
    from careshift.adapters.fhir.bulk import ExportCheckpoints
    from careshift.adapters.stream.embedded import LogStorage


def _session(engine: Engine, *, write: bool) -> AbstractContextManager[Session]:
    return guarded_session(engine, write=write, store="the event store", then="nothing was written, retry")


class SqlLogStorage:
    """:class:`~careshift.adapters.stream.embedded.LogStorage` in the ``stream_record`` and
    ``stream_offset`` tables. The blocking database calls run in a worker thread so the event
    loop (an MLLP listener, a Bulk download) keeps serving meanwhile."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def append(self, records: Sequence[tuple[str, bytes]]) -> list[int]:
        if not records:
            return []
        return await asyncio.to_thread(self._append, records)

    def _append(self, records: Sequence[tuple[str, bytes]]) -> list[int]:
        table = Base.metadata.tables["stream_record"]
        with _session(self.engine, write=True) as session:
            if self.engine.dialect.name == "postgresql":
                session.execute(text("LOCK TABLE stream_record IN EXCLUSIVE MODE"))
            # One statement reads the next offset and takes the write lock, so SQLite never has
            # to upgrade a read transaction to a write one (which fails at once under WAL).
            key, payload = records[0]
            first = session.execute(
                insert(table)
                .from_select(
                    ["log_offset", "key", "payload"],
                    select(
                        func.coalesce(func.max(table.c.log_offset) + 1, 0),
                        literal(key, table.c.key.type),
                        literal(payload, table.c.payload.type),
                    ),
                )
                .returning(table.c.log_offset)
            ).scalar_one()
            rest = [
                {"log_offset": first + index, "key": key, "payload": payload}
                for index, (key, payload) in enumerate(records[1:], start=1)
            ]
            if rest:
                session.execute(insert(table), rest)
        return list(range(first, first + len(records)))

    async def read(self, start: int, limit: int) -> list[LogRecord]:
        return await asyncio.to_thread(self._read, start, limit)

    def _read(self, start: int, limit: int) -> list[LogRecord]:
        query = (
            select(StreamRecordRow.log_offset, StreamRecordRow.key, StreamRecordRow.payload)
            .where(StreamRecordRow.log_offset >= start)
            .order_by(StreamRecordRow.log_offset)
            .limit(limit)
        )
        with _session(self.engine, write=False) as session:
            return [LogRecord(int(offset), key, bytes(payload)) for offset, key, payload in session.execute(query)]

    async def committed(self, group: str) -> int:
        return await asyncio.to_thread(self._committed, group)

    def _committed(self, group: str) -> int:
        query = select(StreamOffsetRow.next_offset).where(StreamOffsetRow.consumer_group == group)
        with _session(self.engine, write=False) as session:
            found = session.execute(query).scalar_one_or_none()
        return int(found) if found is not None else 0

    async def commit(self, group: str, next_offset: int) -> None:
        await asyncio.to_thread(self._commit, group, next_offset)

    def _commit(self, group: str, next_offset: int) -> None:
        table = Base.metadata.tables["stream_offset"]
        statement: Any = _insert_for(self.engine.dialect.name)(table).values(
            consumer_group=group, next_offset=next_offset
        )
        # An offset never moves back: a slow consumer that re-handled older records must not
        # undo a newer commit of the same group.
        statement = statement.on_conflict_do_update(
            index_elements=["consumer_group"],
            set_={
                "next_offset": case(
                    (statement.excluded.next_offset > table.c.next_offset, statement.excluded.next_offset),
                    else_=table.c.next_offset,
                )
            },
        )
        with _session(self.engine, write=True) as session:
            session.execute(statement)


class SqlExportCheckpoints:
    """:class:`~careshift.adapters.fhir.bulk.ExportCheckpoints` in ``fhir_export_checkpoint``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def last_transaction_time(self, name: str) -> datetime | None:
        """The ``transactionTime`` saved for export ``name`` (``None`` before its first run)."""
        query = select(ExportCheckpointRow.transaction_time).where(ExportCheckpointRow.name == name)
        with _session(self.engine, write=False) as session:
            return session.execute(query).scalar_one_or_none()

    def save(self, name: str, transaction_time: datetime) -> None:
        """Record that export ``name`` completed up to ``transaction_time``."""
        table = Base.metadata.tables["fhir_export_checkpoint"]
        statement: Any = _insert_for(self.engine.dialect.name)(table).values(
            name=name, transaction_time=transaction_time
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"transaction_time": statement.excluded.transaction_time}
        )
        with _session(self.engine, write=True) as session:
            session.execute(statement)


class SqlFeedCursors:
    """:class:`~careshift.service.event_feed.CursorStore` in ``stream_offset``: the event feed's
    position in the event log, under the consumer-group name ``event-feed:<name>`` (a
    position never moves back, as a stream offset does not)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def position(self, name: str) -> int | None:
        query = select(StreamOffsetRow.next_offset).where(StreamOffsetRow.consumer_group == f"event-feed:{name}")
        with _session(self.engine, write=False) as session:
            found = session.execute(query).scalar_one_or_none()
        return int(found) if found is not None else None

    def save(self, name: str, position: int) -> None:
        SqlLogStorage(self.engine)._commit(f"event-feed:{name}", position)


if TYPE_CHECKING:

    def _implements_the_ports(
        log: SqlLogStorage, checkpoints: SqlExportCheckpoints
    ) -> tuple[LogStorage, ExportCheckpoints]:
        return log, checkpoints  # mypy checks both against their protocols
