"""PostgreSQL connections that wait for the server on the asyncio event loop, and the writes
that run there, one at a time, each in a greenlet.

The API runs its writes (decisions, approvals) on its event loop thread (``run_cooperatively``,
used by ``service.commits.SerialWriter(on_loop=...)``). Their code stays synchronous; where
psycopg would block on the socket, the write's greenlet hands control back to the loop, which
serves other requests until the server answers. Writes on a thread of their own cost about a
third more CPU per decision: every round trip released the interpreter lock, and the writer
thread then queued for it behind the busy event loop.

Writes take turns (they all append to the one audit chain), so the time a write spends between
its first statement and its commit bounds how many a second the API can take. Two things keep
that time short (ADR 0012):

- a write resumes in the loop's callback for its socket, the moment the server's answer is
  readable, instead of queueing as a task behind every request the loop has ready;
- the next write starts in the same callback that ends the last one.

A connection made here behaves exactly like psycopg's own everywhere else: outside such a
greenlet (background threads, the command line) it blocks as usual.
"""

from __future__ import annotations

import asyncio
import select
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import psycopg
from greenlet import getcurrent, greenlet  # type: ignore[import-untyped]
from psycopg import waiting
from psycopg.abc import PQGen

_WAIT_INTERVAL = 0.1  # psycopg's own
_BUSY_SECONDS = 0.005  # writes that end without waiting, back to back, before the loop gets a turn
RV = TypeVar("RV")


class _Write(greenlet):  # type: ignore[misc]
    """A write running on the event loop (``run_cooperatively``)."""


class _Socket:
    """What a write waits for: ``fileno`` ready for what psycopg asked (``waiting.Wait``)."""

    __slots__ = ("fileno", "wait")

    def __init__(self, fileno: int, wait: int) -> None:
        self.fileno = fileno
        self.wait = wait


def in_write() -> bool:
    """Whether the caller runs inside a write on the event loop."""
    return isinstance(getcurrent(), _Write)


def suspend(awaitable: Awaitable[RV]) -> RV:
    """From inside a write: wait for ``awaitable`` on the loop and return its result (or raise)."""
    return cast(RV, getcurrent().parent.switch(awaitable))


def _ready_now(fileno: int, wait: int) -> int:
    """What ``fileno`` is ready for at once (a socket asked for writing nearly always is);
    ``poll``, which takes any descriptor number (``select`` stops at 1024)."""
    poller = select.poll()
    asked = (select.POLLIN if wait & waiting.WAIT_R else 0) | (select.POLLOUT if wait & waiting.WAIT_W else 0)
    poller.register(fileno, asked)
    events = 0
    for _, happened in poller.poll(0):
        events |= happened
    return (waiting.READY_R if events & select.POLLIN else 0) | (waiting.READY_W if events & select.POLLOUT else 0)


class CooperativeConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits yield to the event loop inside a write on it."""

    def wait(self, gen: PQGen[RV], interval: float = _WAIT_INTERVAL, timeout: float | None = None) -> RV:
        current = getcurrent()
        if not isinstance(current, _Write) or timeout is not None:  # timeouts: LISTEN only, never on the loop
            return super().wait(gen, interval, timeout)
        fileno = self.pgconn.socket
        try:
            wait = next(gen)
            while True:
                ready = _ready_now(fileno, wait) if wait & waiting.WAIT_W else 0
                if not ready:
                    ready = current.parent.switch(_Socket(fileno, wait))
                wait = gen.send(ready)
        except StopIteration as done:
            return cast(RV, done.value)


def cooperative_connect(_dialect: Any, _record: Any, arguments: list[Any], options: dict[str, Any]) -> Any:
    """SQLAlchemy ``do_connect`` listener: make the engine's connections cooperative. Inside a
    write on the loop, the connect itself (DNS, TCP, authentication: psycopg's connect does not
    go through ``wait``) runs on a worker thread, so a database restart never stalls the loop."""
    if in_write():
        return suspend(asyncio.to_thread(CooperativeConnection.connect, *arguments, **options))
    return CooperativeConnection.connect(*arguments, **options)


class _Turns:
    """The writes of one event loop: run one at a time, in the order asked, each in a greenlet."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: deque[tuple[_Write, tuple[Any, ...], asyncio.Future[Any]]] = deque()
        self._running: tuple[_Write, asyncio.Future[Any]] | None = None
        self._starting = False  # inside _next: a write that ends leaves the next to its loop

    def submit(self, function: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._queue.append((_Write(function), args, future))
        self._next()
        return future

    def _next(self) -> None:
        """Start queued writes while none is running (one loop, not a recursion: writes that
        never wait end inside it); after ``_BUSY_SECONDS`` of them the loop gets a turn first."""
        if self._starting:
            return
        self._starting = True
        started = time.monotonic()
        try:
            while self._running is None and self._queue:
                if time.monotonic() - started > _BUSY_SECONDS:
                    self._loop.call_soon(self._next)
                    return
                write, args, future = self._queue.popleft()
                self._running = (write, future)
                self._step(write.switch, *args)
        finally:
            self._starting = False

    def _step(self, resume: Callable[..., Any], *value: Any) -> None:
        """Run the current write until it waits (register its wake-up) or ends (start the next)."""
        assert self._running is not None
        write, future = self._running
        write.parent = getcurrent()  # whoever resumes it (a loop callback) hears where it stops
        try:
            request = resume(*value)
        except BaseException as exc:  # noqa: BLE001 - the write's own error goes to its caller
            self._end(future, error=exc)
            return
        if write.dead:
            self._end(future, result=request)
            return
        try:
            if isinstance(request, _Socket):
                self._on_socket(write, request)
            else:
                asyncio.ensure_future(request, loop=self._loop).add_done_callback(
                    lambda done: self._resume_after(write, done)
                )
        except BaseException as exc:  # noqa: BLE001 - cannot wait for that: the write fails there
            self._step(write.throw, exc)

    def _resume_after(self, write: _Write, done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            self._step(write.throw, asyncio.CancelledError())
        elif done.exception() is not None:
            self._step(write.throw, done.exception())
        else:
            self._step(write.switch, done.result())

    def _on_socket(self, write: _Write, socket: _Socket) -> None:
        fileno, loop = socket.fileno, self._loop
        reading, writing = bool(socket.wait & waiting.WAIT_R), bool(socket.wait & waiting.WAIT_W)

        def ready(state: int) -> None:
            if reading:
                loop.remove_reader(fileno)
            if writing:
                loop.remove_writer(fileno)
            self._step(write.switch, state)  # at once, in this callback: the write holds the turn

        if reading:
            loop.add_reader(fileno, ready, waiting.READY_R)
        if writing:
            loop.add_writer(fileno, ready, waiting.READY_W)

    def _end(self, future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
        self._running = None
        if not future.done():
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        self._next()


_turns: dict[asyncio.AbstractEventLoop, _Turns] = {}


def run_cooperatively(function: Callable[..., RV], *args: Any) -> asyncio.Future[RV]:
    """Run ``function(*args)`` on the running event loop in a greenlet, after the writes asked for
    before it on this loop (one at a time); its database waits on cooperative connections yield
    to the loop. The future holds what it returned or raised (``service.commits.Cooperative``)."""
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        for closed in [other for other in _turns if other.is_closed()]:
            del _turns[closed]
        turns = _turns[loop] = _Turns(loop)
    return turns.submit(function, args)
