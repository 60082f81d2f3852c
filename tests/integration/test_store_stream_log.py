"""The embedded event stream and the FHIR export checkpoints on the store: durable across a
restart, gapless offsets under concurrent appenders, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from careshift.adapters.store import open_store
from careshift.adapters.store.stream_log import SqlExportCheckpoints, SqlLogStorage
from careshift.adapters.stream.embedded import EmbeddedEventStream
from tests.integration.store_support import postgres_schema_url, sqlite_url
from tests.stream_samples import IdempotentStore, arrival


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema_url() as url:
            yield url


async def test_log_and_offsets_survive_a_restart(db_url: str) -> None:
    store = open_store(db_url)
    try:
        stream = EmbeddedEventStream(SqlLogStorage(store.engine))
        await stream.publish([arrival("4W", n) for n in range(5)])
        first = IdempotentStore()
        assert await stream.consume("census", first.add, max_events=3) == 3
    finally:
        store.close()

    store = open_store(db_url)
    try:
        stream = EmbeddedEventStream(SqlLogStorage(store.engine))
        await stream.publish([arrival("5E", 0)])
        assert await stream.storage.committed("census") == 3
        again = IdempotentStore()
        assert await stream.consume("census", again.add) == 3
        assert [e.source_id for e in again.events.values()] == ["4W-3", "4W-4", "5E-0"]
        assert await stream.consume("audit", IdempotentStore().add) == 6
    finally:
        store.close()


async def test_failed_handler_is_not_committed_and_offsets_never_move_back(db_url: str) -> None:
    store = open_store(db_url)
    try:
        storage = SqlLogStorage(store.engine)
        stream = EmbeddedEventStream(storage)
        await stream.publish([arrival("4W", n) for n in range(4)])
        failing = IdempotentStore(fail_on={"4W-2"})
        with pytest.raises(RuntimeError, match="store commit failed"):
            await stream.consume("census", failing.add)
        assert await storage.committed("census") == 2
        await storage.commit("census", 1)
        assert await storage.committed("census") == 2
        assert await stream.consume("census", failing.add) == 2
        assert len(failing.events) == 4
    finally:
        store.close()


async def test_concurrent_appenders_get_gapless_distinct_offsets(db_url: str) -> None:
    writers = [open_store(db_url) for _ in range(3)]
    try:
        storages = [SqlLogStorage(store.engine) for store in writers]

        async def append(storage: SqlLogStorage, writer: int) -> list[int]:
            offsets: list[int] = []
            for n in range(10):
                offsets += await storage.append([(f"w{writer}", f"{writer}-{n}-{i}".encode()) for i in range(3)])
            return offsets

        results = await asyncio.gather(*(append(s, i) for i, s in enumerate(storages)))
        every = sorted(offset for offsets in results for offset in offsets)
        assert every == list(range(90))
        for offsets in results:
            assert offsets == sorted(offsets)
        records = await storages[0].read(0, 1000)
        assert [r.offset for r in records] == list(range(90))
        assert [r.offset for r in await storages[0].read(88, 10)] == [88, 89]
    finally:
        for store in writers:
            store.close()


def test_export_checkpoints_persist_per_name(db_url: str) -> None:
    at = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    store = open_store(db_url)
    try:
        checkpoints = SqlExportCheckpoints(store.engine)
        assert checkpoints.last_transaction_time("ward") is None
        checkpoints.save("ward", at)
        checkpoints.save("ward", at + timedelta(hours=1))
        checkpoints.save("other", at)
    finally:
        store.close()
    store = open_store(db_url)
    try:
        checkpoints = SqlExportCheckpoints(store.engine)
        assert checkpoints.last_transaction_time("ward") == at + timedelta(hours=1)
        assert checkpoints.last_transaction_time("other") == at
    finally:
        store.close()
