"""Write-back of approved changes: the outbox relay.

Approval writes its changes to the outbox in the same transaction (so an approval is
never lost); the relay sends each pending message through the ``ShiftWriter`` port and
marks it done in a second transaction. A crash between the send and the mark leaves the
message pending and it is sent again, which is safe because the writer's requests are
idempotent: a conditional create on the assignment's business identifier finds the
resource the first send made, and a release re-reads the resource and updates it with
``If-Match`` only if it is not already released. Transient failures are retried on the
next run up to ``max_attempts``; then the message is ``failed`` and audited for an operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from careshift.domain.errors import CareshiftError
from careshift.service.repositories import Clock, OutboxMessage, OutboxState, UnitOfWorkFactory
from careshift.telemetry.audit import record
from careshift.telemetry.tracing import span

MAX_ATTEMPTS = 5
RELAY_ACTOR = "careshift-writeback"


class ShiftWriter(Protocol):
    """Where approved assignments are written (a FHIR server; a fake in tests).

    ``book`` makes the assignment exist as booked; ``release`` makes it released. Both are
    idempotent on ``identifier`` and return what the target holds now (id, version, status).
    """

    async def book(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]: ...

    async def release(self, identifier: str, change: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RelayReport:
    sent: int
    retried: int
    failed: int


async def relay(
    uow: UnitOfWorkFactory, writer: ShiftWriter, clock: Clock, *, max_attempts: int = MAX_ATTEMPTS, limit: int = 100
) -> RelayReport:
    """Send every pending outbox message once; return how many went, will retry, or gave up."""
    with span("careshift.writeback.relay") as current:
        report = await _relay(uow, writer, clock, max_attempts=max_attempts, limit=limit)
        current.set_attributes({"careshift.sent": report.sent, "careshift.retried": report.retried})
        current.set_attribute("careshift.failed", report.failed)
        return report


async def _relay(
    uow: UnitOfWorkFactory, writer: ShiftWriter, clock: Clock, *, max_attempts: int, limit: int
) -> RelayReport:
    with uow() as work:
        pending = work.outbox.pending(limit)
    sent = retried = failed = 0
    for message in pending:
        body = message.body
        try:
            if body["action"] == "book":
                result = await writer.book(str(body["identifier"]), body)
            else:
                result = await writer.release(str(body["identifier"]), body)
        except CareshiftError as exc:
            attempts = message.attempts + 1
            gave_up = attempts >= max_attempts
            state = OutboxState.FAILED if gave_up else OutboxState.PENDING
            updated = replace(message, attempts=attempts, state=state, last_error=str(exc)[:1000])
            _save(uow, clock, updated, "writeback.failed" if gave_up else None)
            failed += gave_up
            retried += not gave_up
            continue
        done = replace(message, attempts=message.attempts + 1, state=OutboxState.DONE, last_error="", result=result)
        _save(uow, clock, done, "writeback.done")
        sent += 1
    return RelayReport(sent, retried, failed)


def _save(uow: UnitOfWorkFactory, clock: Clock, message: OutboxMessage, action: str | None) -> None:
    with uow() as work:
        work.outbox.save(message)
        if action is not None:
            record(
                work.audit,
                at=clock(),
                actor=RELAY_ACTOR,
                scope=f"writeback@{message.unit}",
                action=action,
                payload={
                    "outbox": message.key,
                    "recommendation": message.recommendation_id,
                    "attempts": message.attempts,
                    "result": dict(message.result),
                    "error": message.last_error,
                },
            )
        work.commit()
