"""One writer thread for the API's write use cases, with durability waits handed back to the caller.

Every schedule change appends to the one audit chain, so writes take turns whatever runs them.
When each request's own worker thread queued for the store's lock, the turn passed between
threads dozens of times a second, and every hand-over woke a sleeping thread that then had to
win the interpreter lock back: on two cores that convoy cost more CPU than the transactions.
``SerialWriter`` runs the writes one after another on a single thread instead, so a busy
writer goes straight from one transaction to the next; or, when the store offers it (PostgreSQL,
a SQLite file), on the request's own event loop, one after another in greenlets that hand the
loop back while they wait for the database (``adapters.store.cooperative``).

A store commits without waiting for the disk and then waits for a shared flush (group commit,
ADR 0012). Inside :func:`deferred_durability` the store registers that wait here instead of
blocking: the writer thread moves on to the next transaction, and the request's coroutine
awaits the flush (``Durability.wait_async``) before its response is sent. A response therefore
still leaves only once its change is on disk.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from careshift.domain.errors import ServiceUnavailableError

T = TypeVar("T")
log = logging.getLogger(__name__)


class Durability(Protocol):
    """Something that can say when a commit (numbered by ``ticket``) has reached the disk."""

    async def wait_async(self, ticket: int) -> None: ...


@dataclass
class PendingDurability:
    """Durability waits registered while :func:`deferred_durability` was active."""

    waits: list[tuple[Durability, int]] = field(default_factory=list)

    async def wait(self) -> None:
        for durability, ticket in self.waits:
            await durability.wait_async(ticket)


_pending: contextvars.ContextVar[PendingDurability | None] = contextvars.ContextVar("careshift_pending", default=None)
"""Per context, not per thread: writes on the event loop run in greenlets that share its thread."""
Cooperative = Callable[..., "asyncio.Future[Any]"]
"""Runs ``function(*args)`` on the running event loop, after the functions given to it before
on that loop (one at a time), yielding to the loop while ``function`` waits for I/O; the future
holds what the function returned."""


@contextmanager
def deferred_durability() -> Iterator[PendingDurability]:
    """In this context, until the block ends, stores register their durability waits in the
    yielded ``PendingDurability`` instead of blocking on them (see :func:`defer`)."""
    pending = PendingDurability()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def defer(durability: Durability, ticket: int) -> bool:
    """Register the wait for ``ticket`` with the enclosing :func:`deferred_durability` block;
    ``False`` when there is none (the caller must wait itself)."""
    pending = _pending.get()
    if pending is None:
        return False
    pending.waits.append((durability, ticket))
    return True


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    pending: PendingDurability = field(default_factory=PendingDurability)


def _run_deferring(context: contextvars.Context, work: Callable[[], object]) -> _Outcome:
    outcome: _Outcome = context.run(_deferring, work)
    return outcome


def _deferring(work: Callable[[], object]) -> _Outcome:
    outcome = _Outcome()
    with deferred_durability() as outcome.pending:
        try:
            outcome.value = work()
        except BaseException as exc:  # re-raised by the caller once the committed part is durable
            outcome.error = exc
    return outcome


class SerialWriter:
    """Runs write use cases one at a time (see the module docstring): on one dedicated thread,
    or on the caller's event loop through ``on_loop``, which runs a function there and yields
    to the loop while it waits for I/O (for a store whose connections cooperate:
    ``adapters.store.cooperative.run_cooperatively``)."""

    def __init__(self, name: str = "careshift-writer", *, on_loop: Cooperative | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._on_loop = on_loop
        self._running: set[asyncio.Future[_Outcome]] = set()
        self._closed = False

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the writer (with the caller's context variables, so spans nest
        under the request's), then wait until what it committed is on disk. An exception from
        ``work`` is raised after that wait: a change it committed before failing is durable too."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        queued: asyncio.Future[_Outcome]
        try:
            if self._closed:
                raise RuntimeError("closed")
            if self._on_loop is not None:
                # not the caller's task: a caller that leaves does not cut the write short
                queued = self._on_loop(_run_deferring, context, work)
                self._running.add(queued)
                queued.add_done_callback(self._running.discard)
            else:
                queued = loop.run_in_executor(self._executor, _run_deferring, context, work)
        except RuntimeError as exc:  # closed: the server is stopping
            raise ServiceUnavailableError("the server is shutting down; retry in a moment") from exc
        try:
            outcome = await asyncio.shield(queued)
        except asyncio.CancelledError:
            queued.add_done_callback(_report_abandoned)  # the caller left; say how its write ended
            raise
        await outcome.pending.wait()
        if outcome.error is not None:
            raise outcome.error
        return cast(T, outcome.value)

    async def drain(self) -> None:
        """Refuse new writes and wait for those running on this event loop (the server calls it
        before the store closes: a write on the loop holds the store's lock between its steps)."""
        self._closed = True
        loop = asyncio.get_running_loop()
        running = [write for write in self._running if write.get_loop() is loop]
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    def close(self) -> None:
        """Finish the queued writes and stop the thread (writes on a loop: see :meth:`drain`)."""
        self._closed = True
        self._executor.shutdown(wait=True)


def _report_abandoned(done: asyncio.Future[_Outcome]) -> None:
    if done.cancelled():
        return
    error = done.result().error
    if error is not None:
        log.warning("a write whose caller had gone failed: %s: %s", type(error).__name__, error)
