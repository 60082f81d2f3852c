"""Canonical events on Kafka (aiokafka): JSON values keyed by unit id, consumer groups, and
offsets committed only after the handler (the store commit) returned."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from careshift.adapters.stream.codec import decode_event, encode_event
from careshift.adapters.stream.port import (
    EventHandler,
    EventStream,
    QuarantineHandler,
    UndecodableRecord,
    partition_key,
)
from careshift.domain.errors import DataContractError, ServiceUnavailableError
from careshift.domain.events import Event

log = logging.getLogger(__name__)


class KafkaEventStream:
    """:class:`~careshift.adapters.stream.port.EventStream` on one Kafka topic.

    The producer waits for all in-sync replicas (``acks=all``) before :meth:`publish`
    returns. The key is :func:`partition_key` (the unit id), so the default partitioner puts
    each unit's events on one partition, in order. Consumers never auto-commit: the offset
    after a record is committed once the handler returned, so a crash between "stored" and
    "committed" re-delivers the record and the idempotent store ignores it.

    ``session_timeout_ms`` bounds how long a dead consumer holds its partitions (and how long
    joining a group takes on some brokers); keep the default in production.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        client_id: str = "careshift",
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self._client_id = client_id
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._producer: Any = None

    async def ensure_topic(self, partitions: int) -> None:
        """Create the topic with ``partitions`` partitions unless it exists."""
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import KafkaError, TopicAlreadyExistsError

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id=self._client_id)
        try:
            await admin.start()
            response = await admin.create_topics(
                [NewTopic(self.topic, num_partitions=partitions, replication_factor=1)]
            )
            for _topic, code, *_rest in getattr(response, "topic_errors", []):
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise ServiceUnavailableError(f"broker refused to create topic {self.topic} (Kafka error {code})")
        except KafkaError as exc:
            raise ServiceUnavailableError(
                f"cannot reach Kafka at {self.bootstrap_servers} to create {self.topic}: {exc}"
            ) from exc
        finally:
            await admin.close()

    async def publish(self, events: Sequence[Event]) -> None:
        from aiokafka.errors import KafkaError

        producer = await self._started_producer()
        try:
            sent = [
                await producer.send(self.topic, value=encode_event(event), key=partition_key(event).encode())
                for event in events
            ]
            await asyncio.gather(*sent)
        except KafkaError as exc:
            raise ServiceUnavailableError(
                f"Kafka at {self.bootstrap_servers} did not accept events for {self.topic}: {exc}; "
                "they were not published, publish them again"
            ) from exc

    async def consume(
        self,
        group: str,
        handler: EventHandler,
        *,
        max_events: int | None = None,
        idle_timeout: float = 1.0,
        quarantine: QuarantineHandler | None = None,
    ) -> int:
        from aiokafka import AIOKafkaConsumer, TopicPartition
        from aiokafka.errors import KafkaError

        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap_servers,
            client_id=self._client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._heartbeat_interval_ms,
        )
        try:
            await consumer.start()
        except KafkaError as exc:
            await consumer.stop()
            raise ServiceUnavailableError(f"cannot join group {group} on {self.bootstrap_servers}: {exc}") from exc
        handled = 0
        last_activity = time.monotonic()
        done: dict[Any, int] = {}  # partition → offset after the last record whose handler returned
        try:
            while max_events is None or handled < max_events:
                remaining = None if max_events is None else max_events - handled
                batch = await consumer.getmany(timeout_ms=100, max_records=remaining)
                if not batch:
                    # Joining the group is not "idle": the clock starts once partitions are assigned.
                    if not consumer.assignment():
                        last_activity = time.monotonic()
                    elif time.monotonic() - last_activity >= idle_timeout:
                        break
                    continue
                for partition, records in batch.items():
                    for record in records:
                        if partition not in consumer.assignment():
                            break  # lost in a rebalance: the new owner gets these records
                        where = f"{record.topic}/{record.partition}/{record.offset}"
                        try:
                            event = decode_event(record.value, where)
                        except DataContractError as exc:
                            if quarantine is None:
                                raise
                            await quarantine(UndecodableRecord(where, record.key, record.value, exc))
                        else:
                            await handler(event)
                        done[TopicPartition(partition.topic, partition.partition)] = record.offset + 1
                        handled += 1
                # One commit per fetched batch: only offsets whose handler already returned.
                await self._commit(consumer, done)
                last_activity = time.monotonic()
        except BaseException:
            # Keep the work that did succeed; the failed record and everything after it is
            # not committed and will be delivered again.
            await self._commit(consumer, done)
            raise
        finally:
            await consumer.stop()
        return handled

    @staticmethod
    async def _commit(consumer: Any, done: dict[Any, int]) -> None:
        """Commit the offsets whose handlers returned, for partitions we still own.

        A rebalance between handling and committing makes the commit fail for partitions
        that moved; their records will be delivered again to the new owner (at least once),
        so this is logged and consumption goes on.
        """
        from aiokafka.errors import CommitFailedError, IllegalStateError

        assigned = consumer.assignment()
        offsets = {partition: offset for partition, offset in done.items() if partition in assigned}
        done.clear()
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning(
                "offset commit lost to a rebalance (%s); %d partition(s) will be re-delivered", exc, len(offsets)
            )

    async def close(self) -> None:
        """Flush and stop the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _started_producer(self) -> Any:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer
            from aiokafka.errors import KafkaError

            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, client_id=self._client_id, acks="all")
            try:
                await producer.start()
            except KafkaError as exc:
                await producer.stop()
                raise ServiceUnavailableError(
                    f"cannot reach Kafka at {self.bootstrap_servers}: {exc}; check bootstrap servers"
                ) from exc
            self._producer = producer
        return self._producer


if TYPE_CHECKING:

    def _implements_the_port(stream: KafkaEventStream) -> EventStream:
        return stream  # mypy checks that KafkaEventStream satisfies EventStream
