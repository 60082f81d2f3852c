"""The embedded event stream: one append-only log with per-group committed offsets.

The log itself sits behind :class:`LogStorage` so that the same stream runs on memory (tests,
one-shot runs) or on the database (the store adapter provides that storage), keeping the
at-least-once contract identical to Kafka's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from careshift.adapters.stream.codec import decode_event, encode_event
from careshift.adapters.stream.port import (
    EventHandler,
    EventStream,
    QuarantineHandler,
    UndecodableRecord,
    partition_key,
)
from careshift.domain.errors import DataContractError
from careshift.domain.events import Event


@dataclass(frozen=True)
class LogRecord:
    """One record of the log: its offset (0, 1, 2, …), partition key and JSON payload."""

    offset: int
    key: str
    payload: bytes


class LogStorage(Protocol):
    """Where the embedded log keeps its records and the consumer groups' offsets."""

    async def append(self, records: Sequence[tuple[str, bytes]]) -> list[int]:
        """Append ``(key, payload)`` records atomically; return their offsets."""
        ...

    async def read(self, start: int, limit: int) -> list[LogRecord]:
        """Up to ``limit`` records with offset ≥ ``start``, in offset order."""
        ...

    async def committed(self, group: str) -> int:
        """The next offset ``group`` has to handle (0 for a new group)."""
        ...

    async def commit(self, group: str, next_offset: int) -> None:
        """Record that ``group`` handled everything before ``next_offset``."""
        ...


class InMemoryLogStorage:
    """:class:`LogStorage` in a list and a dict: lost when the process ends."""

    def __init__(self) -> None:
        self._records: list[LogRecord] = []
        self._offsets: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def append(self, records: Sequence[tuple[str, bytes]]) -> list[int]:
        async with self._lock:
            offsets = []
            for key, payload in records:
                offset = len(self._records)
                self._records.append(LogRecord(offset, key, payload))
                offsets.append(offset)
            return offsets

    async def read(self, start: int, limit: int) -> list[LogRecord]:
        return self._records[start : start + limit]

    async def committed(self, group: str) -> int:
        return self._offsets.get(group, 0)

    async def commit(self, group: str, next_offset: int) -> None:
        self._offsets[group] = max(next_offset, self._offsets.get(group, 0))


class EmbeddedEventStream:
    """The in-process :class:`~careshift.adapters.stream.port.EventStream` (one partition,
    so all events keep their publish order)."""

    def __init__(
        self, storage: LogStorage | None = None, *, batch_size: int = 256, poll_interval: float = 0.05
    ) -> None:
        self.storage: LogStorage = storage if storage is not None else InMemoryLogStorage()
        self._batch_size = batch_size
        self._poll_interval = poll_interval

    async def publish(self, events: Sequence[Event]) -> None:
        await self.storage.append([(partition_key(event), encode_event(event)) for event in events])

    async def consume(
        self,
        group: str,
        handler: EventHandler,
        *,
        max_events: int | None = None,
        idle_timeout: float = 0.0,
        quarantine: QuarantineHandler | None = None,
    ) -> int:
        handled = 0
        idle = 0.0
        position = await self.storage.committed(group)
        while max_events is None or handled < max_events:
            want = self._batch_size if max_events is None else min(self._batch_size, max_events - handled)
            records = await self.storage.read(position, want)
            if not records:
                if idle >= idle_timeout:
                    break
                await asyncio.sleep(self._poll_interval)
                idle += self._poll_interval
                continue
            idle = 0.0
            for record in records:
                where = f"embedded log/offset {record.offset}"
                try:
                    event = decode_event(record.payload, where)
                except DataContractError as exc:
                    if quarantine is None:
                        raise
                    await quarantine(UndecodableRecord(where, record.key.encode(), record.payload, exc))
                else:
                    await handler(event)
                await self.storage.commit(group, record.offset + 1)
                position = record.offset + 1
                handled += 1
        return handled


if TYPE_CHECKING:

    def _implements_the_port(stream: EmbeddedEventStream) -> EventStream:
        return stream  # mypy checks that EmbeddedEventStream satisfies EventStream
