"""Writes on the event loop (``adapters.store.cooperative.run_cooperatively``): one at a time, in
the order asked, each resumed the moment what it waits for is ready, the next one started as
soon as the last ends, and errors delivered to their own caller."""

from __future__ import annotations

import asyncio
import socket

import pytest

from careshift.adapters.store.cooperative import in_write, run_cooperatively, suspend


def test_writes_run_one_at_a_time_in_the_order_asked_while_the_loop_serves_others() -> None:
    trace: list[str] = []

    def write(name: str, pause: float) -> str:
        assert in_write()
        trace.append(f"{name} starts")
        suspend(asyncio.sleep(pause))  # the loop serves the ticker meanwhile
        trace.append(f"{name} ends")
        return name.upper()

    async def ticker() -> None:
        for _ in range(3):
            trace.append("tick")
            await asyncio.sleep(0.01)

    async def main() -> list[str]:
        first = run_cooperatively(write, "a", 0.03)
        second = run_cooperatively(write, "b", 0.0)
        tick = asyncio.ensure_future(ticker())
        results = list(await asyncio.gather(first, second))
        await tick
        return results

    assert asyncio.run(main()) == ["A", "B"]
    assert not in_write()
    writes = [step for step in trace if step != "tick"]
    assert writes == ["a starts", "a ends", "b starts", "b ends"]  # b waited for a, though a slept
    assert trace.index("tick") < trace.index("a ends")  # the loop was not blocked while a waited


def test_the_next_write_starts_in_the_callback_that_ends_the_last() -> None:
    """No loop round between two queued writes: nothing else runs in between."""
    trace: list[str] = []

    def write(name: str) -> None:
        trace.append(f"{name} starts")
        suspend(asyncio.sleep(0.01))
        trace.append(f"{name} ends")

    async def main() -> None:
        first, second = run_cooperatively(write, "a"), run_cooperatively(write, "b")
        first.add_done_callback(lambda _: trace.append("a's caller hears"))
        await asyncio.gather(first, second)

    asyncio.run(main())
    assert trace.index("b starts") == trace.index("a ends") + 1
    assert trace.index("a's caller hears") > trace.index("b starts")


def test_a_write_resumes_when_its_socket_is_readable() -> None:
    here, there = socket.socketpair()
    here.setblocking(False)

    def write() -> bytes:
        ready = suspend(asyncio.get_running_loop().sock_recv(here, 10))
        return bytes(ready)

    async def main() -> bytes:
        pending = run_cooperatively(write)
        await asyncio.sleep(0.02)
        assert not pending.done()
        there.send(b"answer")
        return await asyncio.wait_for(pending, 5)

    try:
        assert asyncio.run(main()) == b"answer"
    finally:
        here.close()
        there.close()


def test_errors_go_to_their_own_caller_and_the_next_write_still_runs() -> None:
    def fails_after_waiting() -> None:
        suspend(asyncio.sleep(0))
        raise ValueError("refused")

    def awaited_error() -> str:
        try:
            suspend(_raises())
        except KeyError as exc:
            return f"caught {exc.args[0]}"
        return "not raised"

    async def _raises() -> None:
        raise KeyError("inside")

    async def main() -> tuple[BaseException | str, ...]:
        return tuple(
            await asyncio.gather(
                run_cooperatively(fails_after_waiting),
                run_cooperatively(awaited_error),
                run_cooperatively(lambda: "third"),
                return_exceptions=True,
            )
        )

    failed, caught, third = asyncio.run(main())
    assert isinstance(failed, ValueError) and str(failed) == "refused"
    assert caught == "caught inside"
    assert third == "third"


def test_outside_an_event_loop_there_is_nothing_to_run_on() -> None:
    with pytest.raises(RuntimeError):
        run_cooperatively(lambda: None)


def test_a_long_backlog_of_writes_that_never_wait_all_complete_and_let_the_loop_in() -> None:
    """Writes that end without waiting (SQLite's, once another writer's lock is released) run
    one after another without piling up the stack, and the loop gets turns in between."""
    ticks: list[int] = []

    def waits() -> None:
        suspend(asyncio.sleep(0.01))

    def quick(n: int) -> int:
        sum(range(2000))  # a little work, as a short transaction
        return n

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0)

    async def main() -> list[int]:
        first = run_cooperatively(waits)
        rest = [run_cooperatively(quick, n) for n in range(3000)]
        tick = asyncio.ensure_future(ticker())
        await first
        results = list(await asyncio.wait_for(asyncio.gather(*rest), 30))
        tick.cancel()
        return results

    assert asyncio.run(main()) == list(range(3000))
    assert len(ticks) > 2  # the backlog did not hold the loop from start to end


def test_a_write_whose_awaited_task_is_cancelled_hears_it_and_the_next_write_runs() -> None:
    heard: list[str] = []

    def waits_for(task: asyncio.Task[None]) -> None:
        try:
            suspend(task)
        except asyncio.CancelledError:
            heard.append("cancelled")
            raise

    async def main() -> tuple[BaseException | str, ...]:
        sleeper = asyncio.ensure_future(asyncio.sleep(10))
        first = run_cooperatively(waits_for, sleeper)
        second = run_cooperatively(lambda: "second")
        await asyncio.sleep(0.01)
        sleeper.cancel()
        return tuple(await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 5))

    first, second = asyncio.run(main())
    assert heard == ["cancelled"] and isinstance(first, asyncio.CancelledError)
    assert second == "second"
