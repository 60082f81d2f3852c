from __future__ import annotations

import pytest

from careshift.adapters.stream.embedded import EmbeddedEventStream
from careshift.adapters.stream.port import EventStream, UndecodableRecord
from careshift.domain.errors import DataContractError
from tests.stream_samples import IdempotentStore, arrival


async def test_embedded_stream_satisfies_the_port() -> None:
    stream: EventStream = EmbeddedEventStream()
    await stream.publish([arrival("4W", 1)])
    assert await stream.consume("g", IdempotentStore().add) == 1


async def test_groups_have_their_own_offsets_and_resume() -> None:
    stream = EmbeddedEventStream()
    await stream.publish([arrival("4W", n) for n in range(5)])
    first, second = IdempotentStore(), IdempotentStore()
    assert await stream.consume("census", first.add, max_events=3) == 3
    assert await stream.consume("census", first.add) == 2
    assert await stream.consume("audit", second.add) == 5
    assert await stream.consume("census", first.add) == 0
    assert [e.source_id for e in first.events.values()] == [f"4W-{n}" for n in range(5)]


async def test_handler_failure_redelivers_and_idempotent_store_sees_it_once() -> None:
    stream = EmbeddedEventStream()
    await stream.publish([arrival("4W", n) for n in range(4)])
    store = IdempotentStore(fail_on={"4W-2"})
    with pytest.raises(RuntimeError, match="store commit failed"):
        await stream.consume("census", store.add)
    assert await stream.storage.committed("census") == 2
    assert await stream.consume("census", store.add) == 2
    assert store.calls == 5  # 0, 1, 2 (failed), 2 again, 3
    assert len(store.events) == 4


async def test_undecodable_record_goes_to_quarantine_or_raises() -> None:
    stream = EmbeddedEventStream()
    await stream.storage.append([("4W", b"garbage")])
    await stream.publish([arrival("4W", 1)])
    store = IdempotentStore()
    with pytest.raises(DataContractError, match="offset 0"):
        await stream.consume("census", store.add)
    quarantined: list[UndecodableRecord] = []

    async def keep(record: UndecodableRecord) -> None:
        quarantined.append(record)

    assert await stream.consume("census", store.add, quarantine=keep) == 2
    assert quarantined[0].payload == b"garbage" and quarantined[0].position == "embedded log/offset 0"
    assert len(store.events) == 1


async def test_consumer_waits_for_new_events_until_idle() -> None:
    import asyncio

    stream = EmbeddedEventStream(poll_interval=0.01)
    store = IdempotentStore()

    async def later() -> None:
        await asyncio.sleep(0.03)
        await stream.publish([arrival("4W", 9)])

    task = asyncio.create_task(later())
    assert await stream.consume("census", store.add, idle_timeout=0.5, max_events=1) == 1
    await task
