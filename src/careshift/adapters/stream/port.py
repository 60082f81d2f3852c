"""The port through which canonical events are published and consumed.

Two implementations: :class:`~careshift.adapters.stream.embedded.EmbeddedEventStream` (an
append-only log with consumer offsets, in-process; the default) and
:class:`~careshift.adapters.stream.kafka.KafkaEventStream` (Kafka via aiokafka). Both deliver
*at least once*: a consumer's offset moves only after its handler returned, so a handler that
raises (or a process that dies) sees the same event again. Handlers must therefore be
idempotent, which the event log is (it ignores a second event with the same key).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from careshift.domain.errors import DataContractError
from careshift.domain.events import Event

EventHandler = Callable[[Event], Awaitable[None]]
"""Handles one event, typically by committing it to the store; raising means "not done"."""


@dataclass(frozen=True)
class UndecodableRecord:
    """A record on the stream that is not a canonical event (for quarantine)."""

    position: str
    key: bytes | None
    payload: bytes
    error: DataContractError


QuarantineHandler = Callable[[UndecodableRecord], Awaitable[None]]


class EventStream(Protocol):
    """Publish canonical events and consume them in a consumer group."""

    async def publish(self, events: Sequence[Event]) -> None:
        """Append ``events`` in order; returns once the stream has durably accepted them."""
        ...

    async def consume(
        self,
        group: str,
        handler: EventHandler,
        *,
        max_events: int | None = None,
        idle_timeout: float = 1.0,
        quarantine: QuarantineHandler | None = None,
    ) -> int:
        """Deliver events after ``group``'s committed offset to ``handler``, committing each
        offset only after ``handler`` returned. Stops after ``max_events`` or after
        ``idle_timeout`` seconds without a new event, and returns how many were handled.

        A handler exception stops consumption and propagates; nothing after the last
        successful handler is committed. A record that is not an event goes to
        ``quarantine`` (then counts as handled) or, without one, raises
        :class:`DataContractError`.
        """
        ...


def partition_key(event: Event) -> str:
    """The partition key: the unit id, so one unit's events stay in order on one partition.
    Events without a unit (a staff call-out before it is placed) fall back to the entity."""
    return event.unit or event.entity_id
