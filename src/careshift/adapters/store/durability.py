"""Group commit for the decision store: one flush makes many commits durable.

With ``synchronous=FULL`` every SQLite commit waits for its own ``fsync`` of the write-ahead
log while holding the database's single write lock; on a disk where an ``fsync`` takes 5 ms
that caps the store at about 200 decisions a second however many schedulers click at once.
The decision store therefore commits with ``synchronous=NORMAL`` (the WAL frames are written,
not yet flushed) and, after releasing the write lock, waits on ``GroupSync.wait``: a caller
returns only once an ``fsync`` of the WAL that *started after its commit* has finished. Commits
that land while one flush runs share the next one. A caller is answered only when its change
is on disk, as with ``FULL``; the difference is that another connection may *read* a commit a
few milliseconds before it is durable (see ADR 0012).

PostgreSQL gets the same treatment: a writer commits with ``synchronous_commit = off`` inside
the audit chain's lock, and the flush is one tiny synchronous transaction (it takes a
transaction id, so its commit record must reach disk, and WAL is flushed in order: every
commit written before it is durable with it).
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError

from careshift.domain.errors import ServiceUnavailableError
from careshift.service.commits import defer


class GroupSync:
    """Batches durability waits into shared flushes; subclasses say how to flush.

    Threads wait with :meth:`wait` (one of them runs the flush, the rest share it). Coroutines
    wait with :meth:`wait_async`: a flusher thread of this object's own runs the flushes for
    them, so the event loop never blocks on the disk."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._tickets = 0  # commits that asked for durability
        self._durable = 0  # every ticket up to this one is on disk
        self._flushing = False
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._flusher: threading.Thread | None = None
        self._closed = False
        self.flushes = 0  # how many fsync rounds ran (for tests and metrics)

    def wait(self) -> None:
        """Return once everything this thread committed before calling is on disk (inside
        ``deferred_durability()``, register that wait with the caller instead)."""
        with self._condition:
            self._tickets += 1
            ticket = self._tickets
        if not defer(self, ticket):
            self._wait_for(ticket)

    def _wait_for(self, ticket: int) -> None:
        with self._condition:
            while self._durable < ticket:
                if self._flushing:
                    self._condition.wait()
                    continue
                self._flushing = True
                covered = self._tickets  # a flush that starts now covers every ticket issued so far
                self._condition.release()
                try:
                    self._flush()
                finally:
                    self._condition.acquire()
                    self._flushing = False
                    self._condition.notify_all()
                self._flushed(covered)

    async def wait_async(self, ticket: int) -> None:
        """Return once ``ticket`` (from a deferred :meth:`wait`) is on disk; a failed flush
        raises here as it would in :meth:`wait`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._condition:
            if self._durable >= ticket:
                return
            if self._closed:
                raise ServiceUnavailableError("the decision store is closed; the last change may not be durable")
            self._waiters.append((ticket, loop, future))
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_for_waiters, name="careshift-flush", daemon=True)
                self._flusher.start()
            self._condition.notify_all()
        await future

    def _flush_for_waiters(self) -> None:
        while True:
            with self._condition:
                while not self._waiters and not self._closed:
                    self._condition.wait()
                if not self._waiters:
                    return
                target = max(ticket for ticket, _, _ in self._waiters)
            error: Exception | None = None
            try:
                self._wait_for(target)
            except Exception as exc:  # the waiters this flush was for hear of it; later ones get their own
                error = exc
            with self._condition:
                reached = target if error is not None else self._durable
                settled = [w for w in self._waiters if w[0] <= reached]
                self._waiters = [w for w in self._waiters if w[0] > reached]
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
            for _, loop, future in settled:
                by_loop.setdefault(loop, []).append(future)
            for loop, futures in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, futures, error)
                except RuntimeError:
                    pass  # that event loop is closed: nobody is waiting any more

    def _flushed(self, covered: int) -> None:
        """A flush that covered every ticket up to ``covered`` succeeded (call under the condition)."""
        self._durable = max(self._durable, covered)
        self.flushes += 1

    def close(self) -> None:
        """Stop the flusher thread once the waits it has are settled."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
            flusher = self._flusher
        if flusher is not None and flusher is not threading.current_thread():
            flusher.join(timeout=30)

    def _flush(self) -> None:
        raise NotImplementedError


def _settle(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for future in futures:
        if future.done():
            continue  # the request was cancelled
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(_own(error))


def _own(error: Exception) -> ServiceUnavailableError:
    """One exception object per waiter of a failed flush: each is raised in its own request."""
    own = ServiceUnavailableError(str(error))
    own.__cause__ = error.__cause__ or error
    return own


class SqliteGroupSync(GroupSync):
    """Flushes one SQLite database's write-ahead log (``path`` is the database file)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _flush(self) -> None:
        # The WAL holds the commits until a checkpoint; once SQLite checkpoints and removes it,
        # they are in (and were synced to) the main file. Sync whichever holds them now.
        for candidate in (Path(f"{self.path}-wal"), self.path):
            try:
                descriptor = os.open(candidate, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fdatasync(descriptor)  # what SQLite itself uses on Linux
            except OSError as exc:
                raise ServiceUnavailableError(
                    f"the decision store could not flush {candidate.name} to disk ({exc.strerror}); "
                    "the last change may not be durable: check the disk, then retry"
                ) from exc
            finally:
                os.close(descriptor)
            return


# In autocommit, a statement that takes a transaction id commits it synchronously on its own:
# the whole flush is one round trip (the session's synchronous_commit is set on at connect).
_FLUSH_SQL = "SELECT pg_current_xact_id()"
_FLUSH = text(_FLUSH_SQL)


def _not_confirmed(exc: Exception) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"the decision store could not confirm the last change is durable ({type(exc).__name__}); "
        "check PostgreSQL, then retry"
    )


class PostgresGroupSync(GroupSync):
    """Flushes PostgreSQL's WAL up to now with one synchronous commit of a transaction id.

    The flush has a connection of its own, outside the pool: waiting writers hold pooled
    connections while they queue for the audit lock, and a flush that had to queue behind them
    for a connection would stall every one of them.

    Coroutines (the API's requests) flush on their event loop instead, over an asynchronous
    connection of the loop's own: no flusher thread, so no hand-over of the interpreter lock and
    no thread wake-up per flush (at a few hundred decisions a second that was a sixth of the
    API process's time). Threads still flush with :meth:`wait`."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._connection: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_connection: psycopg.AsyncConnection[Any] | None = None
        self._flight: asyncio.Task[None] | None = None  # the loop's flush now running
        self._flight_covers = 0

    async def wait_async(self, ticket: int) -> None:
        while True:
            with self._condition:
                if self._durable >= ticket:
                    return
                if self._closed:
                    raise ServiceUnavailableError("the decision store is closed; the last change may not be durable")
                covered = self._tickets  # a flush that starts now covers every ticket issued so far
            flight, loop = self._flight, asyncio.get_running_loop()
            if flight is None or flight.done() or flight.get_loop() is not loop:
                flight = self._flight = loop.create_task(self._flush_async(covered))
                self._flight_covers = covered
            covers = self._flight_covers
            try:
                await asyncio.shield(flight)
            except ServiceUnavailableError as exc:
                if ticket <= covers:  # the flush this commit waited for failed
                    own = _own(exc)
                    raise own from own.__cause__
                # a later commit: the next flush is its own

    async def _flush_async(self, covered: int) -> None:
        try:
            connection = await self._loop_connection()
            await connection.execute(_FLUSH_SQL)
        except psycopg.Error as exc:
            self._drop_loop_connection()  # reconnect on the next flush
            raise _not_confirmed(exc) from exc
        with self._condition:
            self._flushed(covered)
            self._condition.notify_all()

    async def _loop_connection(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        if self._async_connection is not None and (self._loop is not loop or self._async_connection.closed):
            self._drop_loop_connection()
        if self._async_connection is None:
            arguments, options = self.engine.dialect.create_connect_args(self.engine.url)
            connection = await psycopg.AsyncConnection.connect(*arguments, **options, autocommit=True)
            await connection.execute("SET synchronous_commit TO on")
            self._async_connection, self._loop = connection, loop
        return self._async_connection

    def _drop_loop_connection(self) -> None:
        connection, self._async_connection = self._async_connection, None
        if connection is not None:
            connection.pgconn.finish()  # from any thread or loop: closes the socket at once

    def _flush(self) -> None:
        try:
            if self._connection is None:
                connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("SET synchronous_commit TO on")
                self._connection = connection
            self._connection.execute(_FLUSH)
        except (OperationalError, InterfaceError) as exc:
            self._disconnect()  # reconnect on the next flush
            raise _not_confirmed(exc) from exc

    def close(self) -> None:
        super().close()
        self._disconnect()
        self._drop_loop_connection()

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except (OperationalError, InterfaceError):
                pass  # already gone
