"""End to end on the real store, the real engine in a worker process, the HTTP API and the
real FHIR test server: HL7 call-outs (SIU^S15) and ADT admissions over a real MLLP socket
→ committed to the event log → the event feed hands them to the bus → one debounced repair
with reason codes and both causes (the call-outs and the census spike) → override with a
coded reason → a second recommendation accepted and approved → written to FHIR exactly once
→ the audit chain verifies → the decision log holds the whole chain.

The wiring is ``careshift serve``'s own (``wire_event_driven``: in-process listener and
event feed); only the clock is fake, so the debounce window passes when the test says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.retry import RetryPolicy
from careshift.adapters.fhir_writeback import FhirShiftWriter
from careshift.adapters.hl7v2.client import MllpClient, ack_code
from careshift.adapters.store import open_store
from careshift.api.app import create_app
from careshift.api.auth import generate_keys, mint
from careshift.api.deps import ApiContext
from careshift.cli.serve import EventDriven, wire_event_driven
from careshift.domain.events import PatientArrived, StaffCalledOut
from careshift.domain.recommendations import UnitMode
from careshift.service.bootstrap import build_services
from careshift.service.messages import ChangeUnitMode
from careshift.service.ports import RosterEntry
from careshift.service.projected import ProjectedPlanning
from careshift.service.sample import sample_planning
from careshift.service.solver import PoolSolver
from careshift.service.writeback import relay
from tests.hl7_builders import KEY, adt, siu_callout
from tests.integration.fhir_server_process import FhirTestServer, running_fhir_server
from tests.integration.mllp_support import wait_for
from tests.unit.service_builders import Clock
from tests.unit.test_service_cli import cli

pytestmark = pytest.mark.services
UNIT = "4W"
KEYS = generate_keys()


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


def bearer(*scopes: str, subject: str, now: datetime, role: str = "charge nurse") -> dict[str, str]:
    token = mint(KEYS, subject=subject, role=role, scopes=scopes, now=now, units=[UNIT])
    return {"Authorization": f"Bearer {token}"}


def send_hl7(port: int, messages: list[bytes]) -> list[str]:
    """Pipeline ``messages`` on one MLLP connection; the ACK code of each, in order."""
    with MllpClient("127.0.0.1", port) as client:
        for message in messages:
            client.write(message)
        return [ack_code(client.receive()) for _ in messages]


async def test_call_out_to_fhir_write_back(
    server: FhirTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARESHIFT_ID_HASH_KEY", KEY.decode())
    url = f"sqlite:///{tmp_path / 'careshift.db'}"
    events = open_store(url)
    clock = Clock(datetime(2024, 1, 1, 5, tzinfo=UTC))
    base = sample_planning((UNIT,), date(2024, 1, 1), days=7)
    events.put_roster(
        RosterEntry("wfm", f"{a.staff}/{a.day}/{a.shift}", a.staff, a.day, a.shift, a.unit, a.skill)
        for a in base.inputs[UNIT].current or ()
    )
    planning = ProjectedPlanning(base.inputs, events, base.templates)
    solver = PoolSolver()
    services = build_services(planning, database_url=url, solver=solver, clock=clock, time_limit=3.0)
    try:
        zones = {UNIT: UTC}
        wire_event_driven(services, events, EventDriven(mllp_port=0, poll_seconds=0.05), zones)
        assert services.mllp_port is not None
        services.bus.handle(ChangeUnitMode(UNIT, UnitMode.APPROVE, actor="admin", reason="pilot"))
        # Both nurses on Wednesday's night call out (the floor is one) as the WFM system sends it,
        # an SIU^S15 each over MLLP; the log takes the events, the bus debounces them into one repair.
        night = [a for a in planning.planning_input(UNIT).current or () if a.day == date(2024, 1, 3) and a.shift == "N"]
        assert len(night) == 2
        starts = datetime(2024, 1, 3, 21, tzinfo=UTC)
        call_outs = [
            siu_callout(f"CO{n}", gone.staff, unit=UNIT, shift="N", start=starts, at=clock.now)
            for n, gone in enumerate(night)
        ]
        assert send_hl7(services.mllp_port, call_outs) == ["AA", "AA"]
        wait_for(lambda: services.bus.debouncer.pending() == {UNIT: 2}, "the feed to note the call-outs")
        # Then four admissions to 4W inside half an hour (ADT^A01): a census spike on the same unit.
        admits = [
            adt("A01", f"ADM{n}", unit=UNIT, visit=f"V{n}", patient=f"P{n}", at=clock.now + timedelta(minutes=10 * n))
            for n in range(4)
        ]
        clock.advance(5)
        assert send_hl7(services.mllp_port, admits) == ["AA"] * 4
        wait_for(lambda: services.bus.debouncer.pending() == {UNIT: 3}, "the census trigger")
        census = events.census(clock.now, clock.now + timedelta(hours=1), UNIT)
        assert max(c.patients for c in census) == 4
        logged = [s.event for s in events.read()]
        assert sorted(e.source_id for e in logged if isinstance(e, StaffCalledOut)) == ["CO0", "CO1"]
        assert all("P0" not in e.entity_id for e in logged if isinstance(e, PatientArrived))  # hashed at the edge
        assert services.bus.tick() == []
        clock.advance(60)
        (first,) = services.bus.tick()
        rec = first.recommendation
        assert rec is not None and first.check.feasible
        assert first.produced_by.value == "optimizer", first.fallback_reason
        assert any(r.code == "hard.removed" for r in rec.recommendation.reasons)
        assert rec.recommendation.context["causes"] == (
            "hl7v2:WFM@GENHOSP:CO0,hl7v2:WFM@GENHOSP:CO1,"
            "census on 4W rose from 0 to 4 in 30 min (threshold +4 patients or +20 % in 2 h)"
        )
        assert all(a.staff not in {g.staff for g in night} for a in rec.recommendation.added if a.day == night[0].day)

        api = TestClient(
            create_app(
                ApiContext(
                    public_key_pem=KEYS.public_pem,
                    audit=services.audit,
                    clock=clock,
                    service=services.service,
                    bus=services.bus,
                )
            )
        )
        charge = bearer("staffing.read", "staffing.decide", subject="bob", now=clock.now)
        manager = bearer("staffing.read", "staffing.approve", subject="carol", role="nurse manager", now=clock.now)
        current = api.get(f"/units/{UNIT}/recommendations/current", headers=charge).json()
        assert current["id"] == rec.id and current["produced_by"] == "optimizer" and current["reasons"]
        override = {"outcome": "overridden", "reason_code": "preference.staff-declined", "comment": "declined"}
        assert api.post(f"/recommendations/{rec.id}/decisions", json=override, headers=charge).status_code == 201

        second = api.post(f"/units/{UNIT}/repair", headers=charge).json()["recommendation"]
        assert second["id"] != rec.id and second["check"]["feasible"]
        declined = {(a.staff, a.day) for a in rec.recommendation.added}
        assert not declined & {(a["staff"], date.fromisoformat(a["day"])) for a in second["added"]}
        accept = {"outcome": "accepted"}
        assert api.post(f"/recommendations/{second['id']}/decisions", json=accept, headers=charge).status_code == 201
        approved = api.post(f"/recommendations/{second['id']}/approval", json={}, headers=manager)
        assert approved.status_code == 200 and approved.json()["status"] == "approved"

        server.admin("reset")
        reg = server.register()
        async with httpx.AsyncClient(timeout=30) as http:
            fhir = FhirClient(
                server.base_url,
                http=http,
                auth=SmartBackendAuth(reg),
                retry=RetryPolicy(max_attempts=4, base_delay=0.05),
            )
            uow = services.service.uow
            report = await relay(uow, FhirShiftWriter(fhir), clock)
            assert report.failed == 0 and report.sent == len(second["added"]) + len(second["removed"])
            assert (await relay(uow, FhirShiftWriter(fhir), clock)).sent == 0
            slots = [s async for s in fhir.search("Slot")]
        assert sorted(s["identifier"][0]["value"] for s in slots) == sorted(
            f"{UNIT}:{a['staff']}:{a['day']}:{a['shift']}:" for a in second["added"]
        )  # exactly once each

        log = api.get("/decisions", params={"unit": UNIT}, headers=charge).json()
        assert [(d["outcome"], d["reason_code"], d["user"]) for d in log] == [
            ("overridden", "preference.staff-declined", "bob"),
            ("accepted", None, "bob"),
        ]
        admin = {"Authorization": "Bearer " + mint(KEYS, subject="root", scopes=["staffing.admin"], now=clock.now)}
        actions = [e["action"] for e in api.get("/audit/entries", params={"limit": 1000}, headers=admin).json()]
        assert actions[:6] == [
            "unit.mode.changed",
            "recommendation.repair.created",
            "decision.overridden",
            "recommendation.repair.created",
            "decision.accepted",
            "recommendation.approved",
        ]
        assert actions[6:] == ["writeback.done"] * report.sent
    finally:
        services.close()
        events.close()
    verified = CliRunner().invoke(cli(), ["audit", "verify", "--db", url])
    assert verified.exit_code == 0 and f"intact: {6 + report.sent} entries" in verified.output
