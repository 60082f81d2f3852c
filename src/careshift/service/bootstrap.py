"""The composition root: wire the decision service to its adapters from settings.

``build_services`` picks the store (memory, or SQLite/PostgreSQL by URL), the solver (a
process pool), the planning source and the data-quality gate, and returns everything an
entry point (``careshift serve``, tests) needs. Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from careshift.domain.errors import CareshiftError
from careshift.service.bus import MessageBus
from careshift.service.commits import Cooperative
from careshift.service.debounce import Debouncer
from careshift.service.event_feed import EventFeed
from careshift.service.memory import MemoryAuditView, MemoryState, MemoryUnitOfWork
from careshift.service.readcache import ReadCache
from careshift.service.repositories import Clock, PlanningData, QualityGate, Solver
from careshift.service.solver import PoolSolver
from careshift.service.usecases import DecisionService
from careshift.service.writeback import ShiftWriter, relay
from careshift.telemetry.audit import AuditStore

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """The wired service, its bus, the audit view for readers, and what to close at exit."""

    service: DecisionService
    bus: MessageBus
    audit: AuditStore
    closers: list[Callable[[], None]] = field(default_factory=list)
    writes_on_loop: Cooperative | None = None
    """How the API may run its writes on its event loop (the store's ``cooperative``), if it can."""
    mllp_port: int | None = None
    """The port of the in-process MLLP listener (``careshift serve --mllp-port``), once bound."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start_ticker(self, every: float = 1.0) -> threading.Thread:
        """Run the debounced repairs in a background thread until ``close``."""

        def loop() -> None:
            while not self._stop.wait(every):
                self.bus.tick()

        thread = threading.Thread(target=loop, name="careshift-repair-ticker", daemon=True)
        thread.start()
        return thread

    def start_feed(self, feed: EventFeed, every: float = 1.0) -> threading.Thread:
        """Follow the event log in a background thread until ``close``: newly logged events
        reach the bus (call-outs and demand triggers are debounced into repairs)."""

        feed.position  # noqa: B018  (fixed now: events appended after this call are new, not history)

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    delivered = feed.poll()
                except Exception as exc:  # the store is down, or a bug: the thread must outlive it
                    log.error("event feed round failed (%s); retrying in %.1f s", type(exc).__name__, every)
                    delivered = 0
                if not delivered:
                    self._stop.wait(every)

        thread = threading.Thread(target=loop, name="careshift-event-feed", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def start_relay(
        self, open_writer: Callable[[], AbstractAsyncContextManager[ShiftWriter]], every: float = 5.0
    ) -> threading.Thread:
        """Send the outbox every ``every`` seconds in a background thread until ``close``.

        ``open_writer`` opens the writer (an HTTP client and its FHIR writer) for the
        thread's own event loop; a failed round is logged and retried on the next one.
        """

        async def loop() -> None:
            async with open_writer() as writer:
                while not self._stop.is_set():
                    try:
                        await relay(self.service.uow, writer, self.service.clock)
                    except CareshiftError:
                        log.exception("write-back round failed; retrying in %.0f s", every)
                    await asyncio.to_thread(self._stop.wait, every)

        thread = threading.Thread(target=lambda: asyncio.run(loop()), name="careshift-writeback", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        closers, self.closers = self.closers, []  # idempotent: the lifespan and the CLI both close
        for closer in reversed(closers):
            closer()


def build_services(
    planning: PlanningData,
    *,
    database_url: str | None = None,
    clock: Clock = utc_now,
    solver: Solver | None = None,
    gate: QualityGate | None = None,
    time_limit: float = 10.0,
    debouncer: Debouncer | None = None,
    read_cache_seconds: float = 2.0,
) -> Services:
    """Wire the service: ``database_url`` ``None`` keeps state in memory (tests, demo)."""
    closers: list[Callable[[], None]] = []
    if solver is None:
        pool = PoolSolver()
        closers.append(pool.close)
        solver = pool
    if database_url is None:
        state = MemoryState()
        service = DecisionService(lambda: MemoryUnitOfWork(state), planning, solver, clock, gate, time_limit)
        audit: AuditStore = MemoryAuditView(state)
        on_loop: Cooperative | None = None
    else:
        from careshift.adapters.store.decisions import SqlAuditView, SqlDecisionStore

        store = SqlDecisionStore(database_url)
        closers.append(store.close)
        service = DecisionService(store.unit_of_work, planning, solver, clock, gate, time_limit, reader=store.reader)
        audit = SqlAuditView(store)
        on_loop = store.cooperative
    service.current_cache = ReadCache(read_cache_seconds)
    bus = MessageBus(service, debouncer or Debouncer())
    return Services(service, bus, audit, closers, writes_on_loop=on_loop)
