"""The outbox relay on a fake writer: retries transient failures, gives up after the budget
with an audit entry, and sends nothing twice once confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from careshift.domain.decisions import Outcome
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.recommendations import UnitMode
from careshift.service.errors import SolverFailed
from careshift.service.memory import MemoryAuditView, MemoryUnitOfWork
from careshift.service.messages import ApproveRecommendation, RecordDecision, RepairAfterCallOut
from careshift.service.repositories import OutboxState
from careshift.service.writeback import relay
from careshift.telemetry.audit import verify
from tests.unit.service_builders import UNIT, Rig, ScriptedSolver, called_out, current_roster, rig


@dataclass
class FlakyWriter:
    failures: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def book(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]:
        return self._send("book", identifier, change)

    async def release(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]:
        return self._send("release", identifier, change)

    def _send(self, action: str, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailableError("FHIR server 503")
        assert change["start"] < change["end"]
        self.sent.append((action, identifier))
        return {"resource": f"Slot/{len(self.sent)}", "version": "1", "status": "busy"}


def approved() -> Rig:
    r = rig(ScriptedSolver(error=SolverFailed("down")), mode=UnitMode.APPROVE)
    gone = called_out(current_roster())
    r.planning.call_out(UNIT, gone.staff, gone.day)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    return r


async def test_transient_failures_are_retried_then_sent_once() -> None:
    r = approved()
    uow = lambda: MemoryUnitOfWork(r.state)  # noqa: E731
    count = len(r.state.outbox)
    writer = FlakyWriter(failures=count)  # the first pass fails for every message
    first = await relay(uow, writer, r.clock)
    assert (first.sent, first.retried, first.failed) == (0, count, 0)
    assert all(m.attempts == 1 and "503" in m.last_error for m in r.state.outbox.values())
    second = await relay(uow, writer, r.clock)
    assert second.sent == count and len(writer.sent) == count
    assert (await relay(uow, writer, r.clock)).sent == 0 and len(writer.sent) == count
    assert verify(r.state.audit).ok


async def test_gives_up_after_the_budget_and_audits_it() -> None:
    r = approved()
    uow = lambda: MemoryUnitOfWork(r.state)  # noqa: E731
    writer = FlakyWriter(failures=10_000)
    for _ in range(3):
        await relay(uow, writer, r.clock, max_attempts=3)
    assert all(m.state is OutboxState.FAILED and m.attempts == 3 for m in r.state.outbox.values())
    failed = [e for e in r.state.audit if e.action == "writeback.failed"]
    assert len(failed) == len(r.state.outbox) and failed[0].actor == "careshift-writeback"
    assert (await relay(uow, writer, r.clock)).sent == 0


def test_the_relay_thread_sends_approved_changes_and_stops_on_close() -> None:
    import time
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from careshift.service.bootstrap import Services
    from careshift.service.bus import MessageBus

    r = approved()
    writer = FlakyWriter(failures=1)  # the first round fails once; the next one sends

    @asynccontextmanager
    async def open_writer() -> AsyncIterator[FlakyWriter]:
        yield writer

    services = Services(r.service, MessageBus(r.service), MemoryAuditView(r.state))
    thread = services.start_relay(open_writer, every=0.05)
    deadline = time.monotonic() + 10
    while any(m.state is not OutboxState.DONE for m in r.state.outbox.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    services.close()
    assert all(m.state is OutboxState.DONE for m in r.state.outbox.values())
    assert len(writer.sent) == len(r.state.outbox)
    assert not thread.is_alive()
