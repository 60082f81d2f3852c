"""The composition root: wire the decision service to its adapters from settings.

``build_services`` picks the store (memory, or SQLite/PostgreSQL by URL), the solver (a
process pool), the planning source and the data-quality gate, and returns everything an
entry point (``careshift serve``, tests) needs. Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from careshift.service.bus import MessageBus
from careshift.service.debounce import Debouncer
from careshift.service.memory import MemoryAuditView, MemoryState, MemoryUnitOfWork
from careshift.service.repositories import Clock, PlanningData, QualityGate, Solver
from careshift.service.solver import PoolSolver
from careshift.service.usecases import DecisionService
from careshift.telemetry.audit import AuditStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """The wired service, its bus, the audit view for readers, and what to close at exit."""

    service: DecisionService
    bus: MessageBus
    audit: AuditStore
    closers: list[Callable[[], None]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_ticker(self, every: float = 1.0) -> threading.Thread:
        """Run the debounced repairs in a background thread until ``close``."""

        def loop() -> None:
            while not self._stop.wait(every):
                self.bus.tick()

        thread = threading.Thread(target=loop, name="careshift-repair-ticker", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._stop.set()
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
    else:
        from careshift.adapters.store.decisions import SqlAuditView, SqlDecisionStore

        store = SqlDecisionStore(database_url)
        closers.append(store.close)
        service = DecisionService(store.unit_of_work, planning, solver, clock, gate, time_limit, reader=store.reader)
        audit = SqlAuditView(store)
    bus = MessageBus(service, debouncer or Debouncer())
    return Services(service, bus, audit, closers)
