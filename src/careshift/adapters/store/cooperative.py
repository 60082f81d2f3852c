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
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import psycopg
from greenlet import getcurrent, greenlet  # type: ignore[import-untyped]
from psycopg import waiting
from psycopg.abc import PQGen

_WAIT_INTERVAL = 0.1  # psycopg's own
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
    """What ``fileno`` is ready for at once (a socket asked for writing nearly always is)."""
    readers = [fileno] if wait & waiting.WAIT_R else []
    writers = [fileno] if wait & waiting.WAIT_W else []
    r, w, _ = select.select(readers, writers, [], 0)
    return (waiting.READY_R if r else 0) | (waiting.READY_W if w else 0)


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

    def submit(self, function: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._queue.append((_Write(function), args, future))
        self._next()
        return future

    def _next(self) -> None:
        while self._running is None and self._queue:
            write, args, future = self._queue.popleft()
            self._running = (write, future)
            self._step(write.switch, *args)

    def _step(self, resume: Callable[..., Any], *value: Any) -> None:
        """Run the current write until it waits (register its wake-up) or ends (start the next)."""
        assert self._running is not None
        write, future = self._running
        try:
            request = resume(*value)
        except BaseException as exc:  # noqa: BLE001 - the write's own error goes to its caller
            self._end(future, error=exc)
            return
        if write.dead:
            self._end(future, result=request)
        elif isinstance(request, _Socket):
            self._on_socket(write, request)
        else:
            asyncio.ensure_future(request, loop=self._loop).add_done_callback(
                lambda done: (
                    self._step(write.throw, done.exception())
                    if done.exception() is not None
                    else self._step(write.switch, done.result())
                )
            )

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
