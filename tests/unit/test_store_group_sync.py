"""Group commit: a durability wait returns only after a flush that started after the caller's
commit, and commits that arrive during one flush share the next."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from careshift.adapters.store.durability import GroupSync, SqliteGroupSync
from careshift.domain.errors import ServiceUnavailableError
from careshift.service.commits import deferred_durability


class GatedSync(GroupSync):
    """A ``GroupSync`` whose flushes block until the test lets them finish."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self.covered_at_start: list[int] = []

    def _flush(self) -> None:
        self.covered_at_start.append(self._tickets)
        self.started.release()
        assert self.release.acquire(timeout=5)


def test_commits_during_a_flush_share_the_next_one() -> None:
    sync = GatedSync()
    first = threading.Thread(target=sync.wait)
    first.start()
    assert sync.started.acquire(timeout=5)  # flush 1 runs for the first commit only
    later = [threading.Thread(target=sync.wait) for _ in range(3)]
    for thread in later:
        thread.start()
    while sync._tickets < 4:  # all three have taken their ticket and wait
        threading.Event().wait(0.01)
    sync.release.release()  # flush 1 ends: it started before the three committed, so it cannot cover them
    assert sync.started.acquire(timeout=5)  # flush 2 starts, covering all three
    assert all(thread.is_alive() for thread in later)
    sync.release.release()
    for thread in (first, *later):
        thread.join(5)
        assert not thread.is_alive()
    assert sync.flushes == 2
    assert sync.covered_at_start == [1, 4]


def database_file(tmp_path: Path) -> SqliteGroupSync:
    database = tmp_path / "careshift.db"
    database.write_bytes(b"x")
    return SqliteGroupSync(database)


def break_the_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("careshift.adapters.store.durability.os.fdatasync", broken)


def test_a_real_file_is_flushed_and_a_failure_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = database_file(tmp_path)
    sync.wait()
    assert sync.flushes == 1

    break_the_disk(monkeypatch)
    with pytest.raises(ServiceUnavailableError, match=r"careshift\.db.*Input/output error.*check the disk"):
        sync.wait()


def test_a_deferred_wait_is_awaited_and_one_flush_serves_every_waiter() -> None:
    sync = GatedSync()
    with deferred_durability() as pending:
        for _ in range(3):
            sync.wait()  # three commits: none blocks, none flushes
    assert [ticket for _, ticket in pending.waits] == [1, 2, 3] and sync.flushes == 0

    async def main() -> None:
        waiting = asyncio.gather(*(durability.wait_async(ticket) for durability, ticket in pending.waits))
        assert await asyncio.to_thread(sync.started.acquire, True, 5)  # the flusher thread started one flush
        assert not waiting.done()
        sync.release.release()
        await asyncio.wait_for(waiting, 5)

    try:
        asyncio.run(main())
    finally:
        sync.close()
    assert sync.flushes == 1 and sync.covered_at_start == [3]
    assert sync._flusher is not None and not sync._flusher.is_alive()


def test_a_failed_flush_reaches_the_awaiting_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = database_file(tmp_path)
    break_the_disk(monkeypatch)
    with deferred_durability() as pending:
        sync.wait()
    try:
        with pytest.raises(ServiceUnavailableError, match="careshift.db"):
            asyncio.run(pending.wait())
    finally:
        sync.close()


def test_a_failed_flush_fails_only_the_commits_it_was_for() -> None:
    """A commit that arrives while a flush fails gets a flush of its own, as a thread waiting
    in ``wait`` would."""

    class FailsOnce(GatedSync):
        def _flush(self) -> None:
            super()._flush()
            if len(self.covered_at_start) == 1:
                raise ServiceUnavailableError("could not flush careshift.db-wal (Input/output error)")

    sync = FailsOnce()

    async def main() -> None:
        with deferred_durability() as first:
            sync.wait()
        failing = asyncio.ensure_future(first.wait())
        assert await asyncio.to_thread(sync.started.acquire, True, 5)  # flush 1 (ticket 1) is running
        with deferred_durability() as later:
            sync.wait()  # ticket 2 commits during flush 1
        waiting = asyncio.ensure_future(later.wait())
        await asyncio.sleep(0.05)
        sync.release.release()  # flush 1 fails
        with pytest.raises(ServiceUnavailableError, match="Input/output"):
            await asyncio.wait_for(failing, 5)
        assert await asyncio.to_thread(sync.started.acquire, True, 5)  # flush 2, for ticket 2
        sync.release.release()
        await asyncio.wait_for(waiting, 5)

    try:
        asyncio.run(main())
    finally:
        sync.close()
    assert sync.covered_at_start == [1, 2] and sync.flushes == 1
