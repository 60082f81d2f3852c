"""The API's single writer thread: writes run one at a time, in order, and a caller hears
back only once what its write committed is durable (even when the write then failed)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from careshift.adapters.store.cooperative import run_cooperatively, suspend
from careshift.domain.errors import ServiceUnavailableError
from careshift.service.commits import SerialWriter, defer, deferred_durability


class GatedDurability:
    """Durability whose tickets become durable only when the test says so."""

    def __init__(self) -> None:
        self.durable: set[int] = set()
        self.changed = asyncio.Event()

    async def wait_async(self, ticket: int) -> None:
        while ticket not in self.durable:
            self.changed.clear()
            await self.changed.wait()

    def make_durable(self, ticket: int) -> None:
        self.durable.add(ticket)
        self.changed.set()


def test_writes_run_one_at_a_time_on_one_thread_in_order() -> None:
    writer = SerialWriter()
    running = 0
    overlap = False
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, overlap
        with lock:
            running += 1
            overlap = overlap or running > 1
        threading.Event().wait(0.002)
        with lock:
            running -= 1
        seen.append((n, threading.get_ident()))
        return n * 10

    async def main() -> list[int]:
        return await asyncio.gather(*(writer.run(lambda n=n: work(n)) for n in range(20)))

    try:
        assert asyncio.run(main()) == [n * 10 for n in range(20)]
    finally:
        writer.close()
    assert not overlap
    assert [n for n, _ in seen] == list(range(20))
    assert len({thread for _, thread in seen}) == 1 and seen[0][1] != threading.get_ident()


def test_a_write_returns_only_once_its_commit_is_durable() -> None:
    writer = SerialWriter()
    durability = GatedDurability()

    def commit() -> str:
        assert defer(durability, 7)  # what a store does after committing, on the writer thread
        return "done"

    async def main() -> None:
        task = asyncio.create_task(writer.run(commit))
        await asyncio.sleep(0.05)
        assert not task.done()  # committed, not yet on disk
        durability.make_durable(7)
        assert await asyncio.wait_for(task, 5) == "done"

    try:
        asyncio.run(main())
    finally:
        writer.close()


def test_a_write_that_fails_after_committing_waits_for_durability_then_raises() -> None:
    writer = SerialWriter()
    durability = GatedDurability()

    def commit_then_fail() -> None:
        defer(durability, 3)
        raise RuntimeError("an event handler failed after the commit")

    async def main() -> None:
        task = asyncio.create_task(writer.run(commit_then_fail))
        await asyncio.sleep(0.05)
        assert not task.done()
        durability.make_durable(3)
        with pytest.raises(RuntimeError, match="after the commit"):
            await asyncio.wait_for(task, 5)

    try:
        asyncio.run(main())
    finally:
        writer.close()


def test_context_variables_reach_the_writer_thread() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")
    writer = SerialWriter()

    async def main() -> str:
        request_id.set("req-42")
        return await writer.run(request_id.get)

    try:
        assert asyncio.run(main()) == "req-42"
    finally:
        writer.close()


def test_outside_a_deferring_block_the_store_must_wait_itself() -> None:
    durability = GatedDurability()
    assert defer(durability, 1) is False
    with deferred_durability() as pending:
        assert defer(durability, 1) and defer(durability, 2)
        with deferred_durability() as inner:  # blocks nest; the inner one collects its own
            assert defer(durability, 3)
        assert defer(durability, 4)
    assert [t for _, t in pending.waits] == [1, 2, 4] and [t for _, t in inner.waits] == [3]
    assert defer(durability, 5) is False


def test_a_write_after_shutdown_is_a_clear_503_not_a_crash() -> None:
    writer = SerialWriter()
    writer.close()
    with pytest.raises(ServiceUnavailableError, match="shutting down"):
        asyncio.run(writer.run(lambda: "late"))


def on_the_loop(function, *args):  # type: ignore[no-untyped-def]
    """The store's cooperative runner, with each write first waiting on the loop (as for the database)."""

    def waits_then_runs():  # type: ignore[no-untyped-def]
        suspend(asyncio.sleep(0.01))
        return function(*args)

    return run_cooperatively(waits_then_runs)


def test_writes_on_the_loop_take_turns_keep_their_own_pending_waits_and_drain_before_shutdown() -> None:
    writer = SerialWriter(on_loop=on_the_loop)
    durability = GatedDurability()
    order: list[str] = []

    def work(name: str) -> str:
        order.append(name)
        assert defer(durability, len(order))  # each write's wait lands in its own pending list
        return name

    async def main() -> None:
        first = asyncio.ensure_future(writer.run(lambda: work("a")))
        second = asyncio.ensure_future(writer.run(lambda: work("b")))
        while len(order) < 2:
            await asyncio.sleep(0.01)
        assert not first.done() and not second.done()  # both committed, neither durable yet
        durability.make_durable(2)
        assert await asyncio.wait_for(second, 5) == "b"
        assert not first.done()
        durability.make_durable(1)
        assert await asyncio.wait_for(first, 5) == "a"
        third = asyncio.ensure_future(writer.run(lambda: order.append("c")))
        await asyncio.sleep(0)
        await writer.drain()  # the write already queued finishes
        assert order == ["a", "b", "c"]
        third.cancel()
        with pytest.raises(ServiceUnavailableError, match="shutting down"):
            await writer.run(lambda: work("late"))

    asyncio.run(main())
    writer.close()
