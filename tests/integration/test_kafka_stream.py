"""KafkaEventStream against a real Kafka-protocol broker (Tansu, memory only): keyed
partitioning by unit, consumer groups, and at-least-once delivery with commit-after-handler."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from careshift.adapters.stream.codec import decode_event
from careshift.adapters.stream.kafka import KafkaEventStream
from careshift.domain.events import Event
from tests.integration.kafka_broker_process import running_tansu
from tests.stream_samples import IdempotentStore, arrival

pytestmark = pytest.mark.services

UNITS = ("4W", "5E", "ICU", "OR", "ED")


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with running_tansu() as bootstrap:
        yield bootstrap


@pytest.fixture
async def stream(broker: str) -> AsyncIterator[KafkaEventStream]:
    events = KafkaEventStream(
        broker, f"careshift-events-{uuid.uuid4().hex[:8]}", session_timeout_ms=1000, heartbeat_interval_ms=200
    )
    await events.ensure_topic(partitions=3)
    yield events
    await events.close()


def interleaved(count: int) -> list[Event]:
    return [arrival(UNITS[n % len(UNITS)], n) for n in range(count)]


async def test_events_are_keyed_by_unit_onto_one_partition_each(stream: KafkaEventStream, broker: str) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.partitioner import DefaultPartitioner

    published = interleaved(40)
    await stream.publish(published)

    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(stream.topic, p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records = []
        while len(records) < len(published):
            batch = await consumer.getmany(timeout_ms=2000)
            assert batch, "broker returned fewer records than were published"
            records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()

    partitioner = DefaultPartitioner()
    partition_of: dict[str, set[int]] = {}
    order: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        unit = record.key.decode()
        event = decode_event(record.value, f"{record.topic}/{record.partition}/{record.offset}")
        assert event.unit == unit
        partition_of.setdefault(unit, set()).add(record.partition)
        order.setdefault(unit, []).append(event.source_id)
        assert record.partition == partitioner(record.key, [0, 1, 2], [0, 1, 2])
    assert all(len(parts) == 1 for parts in partition_of.values())
    assert len({p for parts in partition_of.values() for p in parts}) >= 2  # units really are spread
    for unit in UNITS:  # each unit's events arrive in publish order
        assert order[unit] == [e.source_id for e in published if e.unit == unit]


async def test_consumer_group_commits_and_resumes(stream: KafkaEventStream) -> None:
    await stream.publish(interleaved(12))
    store = IdempotentStore()
    assert await stream.consume("census", store.add, max_events=5, idle_timeout=2.0) == 5
    assert await stream.consume("census", store.add, idle_timeout=2.0) == 7
    assert await stream.consume("census", store.add, idle_timeout=1.0) == 0
    assert store.calls == 12 and len(store.events) == 12

    other = IdempotentStore()  # another group reads the whole topic on its own offsets
    assert await stream.consume("audit", other.add, idle_timeout=2.0) == 12


async def test_two_members_of_a_group_share_the_work(stream: KafkaEventStream) -> None:
    await stream.publish(interleaved(30))
    store = IdempotentStore()

    async def slow_commit(event: Event) -> None:
        # Slow enough (3 s in all) that the second member joins before the first is done.
        await asyncio.sleep(0.1)
        await store.add(event)

    first, second = await asyncio.gather(
        stream.consume("census", slow_commit, idle_timeout=3.0),
        stream.consume("census", slow_commit, idle_timeout=3.0),
    )
    # At least once: a rebalance may hand an uncommitted record to the other member, never lose one.
    assert first + second == store.calls >= 30 and len(store.events) == 30
    assert first > 0 and second > 0  # the partitions were split between the two members


async def test_failed_handler_means_redelivery_and_the_idempotent_store_keeps_one(stream: KafkaEventStream) -> None:
    events = [arrival("4W", n) for n in range(6)]
    await stream.publish(events)
    store = IdempotentStore(fail_on={"4W-3"})
    with pytest.raises(RuntimeError, match="store commit failed"):
        await stream.consume("census", store.add, idle_timeout=2.0)
    assert len(store.events) == 3  # 0, 1, 2 committed; 3 failed and was not

    assert await stream.consume("census", store.add, idle_timeout=2.0) == 3
    assert [e.source_id for e in store.events.values()] == [e.source_id for e in events]
    assert store.calls == 7  # event 3 was delivered twice


async def test_crash_after_store_commit_before_offset_commit_is_harmless(stream: KafkaEventStream) -> None:
    await stream.publish([arrival("ICU", n) for n in range(4)])
    store = IdempotentStore()

    async def store_then_crash(event: Event) -> None:
        await store.add(event)
        if event.source_id == "ICU-1":
            raise ConnectionResetError("process died before the offset commit")

    with pytest.raises(ConnectionResetError):
        await stream.consume("census", store_then_crash, idle_timeout=2.0)
    assert await stream.consume("census", store.add, idle_timeout=2.0) == 3  # ICU-1 again, then 2 and 3
    assert store.calls == 5 and len(store.events) == 4
