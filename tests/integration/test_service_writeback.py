"""Write-back through the outbox to the real FHIR test server (@medplum/fhir-router): each
approved change is written exactly once, even when the process dies between sending and
confirming; releases use If-Match and survive a concurrent change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.retry import RetryPolicy
from careshift.adapters.fhir_writeback import ASSIGNMENT_SYSTEM, FhirShiftWriter, identifier_value
from careshift.domain.decisions import Outcome
from careshift.domain.recommendations import UnitMode
from careshift.service.errors import SolverFailed
from careshift.service.memory import MemoryUnitOfWork
from careshift.service.messages import ApproveRecommendation, RecordDecision, RepairAfterCallOut
from careshift.service.repositories import OutboxState
from careshift.service.writeback import relay
from careshift.telemetry.audit import verify
from tests.integration.fhir_server_process import FhirTestServer, running_fhir_server
from tests.unit.service_builders import UNIT, Rig, ScriptedSolver, called_out, current_roster, rig

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


@pytest.fixture
async def fhir(server: FhirTestServer) -> AsyncIterator[FhirClient]:
    server.admin("reset")
    reg = server.register()
    async with httpx.AsyncClient(timeout=30) as http:
        yield FhirClient(
            server.base_url, http=http, auth=SmartBackendAuth(reg), retry=RetryPolicy(max_attempts=4, base_delay=0.05)
        )


async def slots(client: FhirClient) -> list[dict[str, object]]:
    return [slot async for slot in client.search("Slot")]


def approved_repair() -> Rig:
    r = rig(ScriptedSolver(error=SolverFailed("down")), mode=UnitMode.APPROVE)
    gone = called_out(current_roster())
    r.planning.call_out(UNIT, gone.staff, gone.day)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    r.bus.handle(RecordDecision(rec.id, Outcome.ACCEPTED, "bob", "charge"))
    r.bus.handle(ApproveRecommendation(rec.id, "carol", "manager"))
    return r


async def test_a_crash_between_send_and_confirm_never_duplicates_a_write(fhir: FhirClient) -> None:
    r = approved_repair()
    uow = lambda: MemoryUnitOfWork(r.state)  # noqa: E731
    pending = list(r.state.outbox.values())
    assert pending and all(m.body["action"] == "book" for m in pending)
    writer = FhirShiftWriter(fhir)
    # The first relay sent the first message, then the process died before marking it done.
    first = pending[0]
    await writer.book(first.body["identifier"], first.body)
    assert r.state.outbox[first.key].state is OutboxState.PENDING

    report = await relay(uow, FhirShiftWriter(fhir), r.clock)  # a fresh process: no cached state
    assert (report.sent, report.retried, report.failed) == (len(pending), 0, 0)
    written = await slots(fhir)
    values = sorted(ident["value"] for slot in written for ident in slot["identifier"])  # type: ignore[index, union-attr]
    assert values == sorted(identifier_value(m.body["identifier"]) for m in pending)  # exactly once each
    assert all(slot["status"] == "busy" for slot in written)
    assert all(m.state is OutboxState.DONE for m in r.state.outbox.values())
    assert (await relay(uow, writer, r.clock)).sent == 0  # nothing left to send
    assert len(await slots(fhir)) == len(pending)
    done = [e for e in r.state.audit if e.action == "writeback.done"]
    assert len(done) == len(pending) and verify(r.state.audit).ok
    schedules = [s async for s in fhir.search("Schedule")]
    assert len(schedules) == len({m.body["assignment"]["staff"] for m in pending})


async def test_release_uses_if_match_and_is_idempotent(fhir: FhirClient) -> None:
    r = approved_repair()
    message = next(iter(r.state.outbox.values()))
    writer = FhirShiftWriter(fhir)
    booked = await writer.book(message.body["identifier"], message.body)
    released = await writer.release(message.body["identifier"], message.body)
    assert released["status"] == "free" and released["resource"] == booked["resource"]
    assert released["version"] != booked["version"]
    again = await writer.release(message.body["identifier"], message.body)
    assert again == released  # already free: no second update
    rebooked = await writer.book(message.body["identifier"], message.body)
    assert rebooked["status"] == "busy" and rebooked["resource"] == booked["resource"]
    assert len(await slots(fhir)) == 1
    search = {"identifier": f"{ASSIGNMENT_SYSTEM}|{identifier_value(message.body['identifier'])}"}
    assert len([s async for s in fhir.search("Slot", search)]) == 1


async def test_a_stale_version_is_refused_by_the_server_and_reread(fhir: FhirClient) -> None:
    r = approved_repair()
    message = next(iter(r.state.outbox.values()))
    writer = FhirShiftWriter(fhir)
    await writer.book(message.body["identifier"], message.body)
    stale = [s async for s in fhir.search("Slot")][0]
    # someone else edits the slot (a scheduler in the workforce system)
    edited = {**stale, "comment": "edited elsewhere"}
    put = httpx.Request("PUT", f"{fhir.base_url}/Slot/{stale['id']}", json=edited)
    await fhir.send(put)
    result = await writer._set_status(stale, "free")  # holds the old version: 412, then re-read
    assert result["status"] == "free" and result["comment"] == "edited elsewhere"
