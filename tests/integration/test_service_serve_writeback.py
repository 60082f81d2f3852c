"""`careshift serve` with CARESHIFT_FHIR_* set: call-outs in the event log → repair → approval
over the API → the background relay writes the changes to the real FHIR test server, with
SMART backend-services tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from careshift.adapters.fhir.auth import ClientRegistration, SmartBackendAuth
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.store import open_store
from careshift.api.auth import development_keys, mint
from careshift.cli.serve import build_api
from careshift.domain.events import StaffCalledOut
from careshift.domain.schedule import Schedule
from careshift.service.sample import first_night
from tests.integration.fhir_server_process import FhirTestServer, running_fhir_server

pytestmark = pytest.mark.services
UNIT = "4W"


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


async def slots(server: FhirTestServer, reg: ClientRegistration) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as http:
        client = FhirClient(server.base_url, http=http, auth=SmartBackendAuth(reg))
        return [slot async for slot in client.search("Slot")]


def test_serve_writes_approved_changes_back(
    server: FhirTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.admin("reset")
    reg = server.register(algorithm="ES384", client_id="careshift-serve")
    key_file = tmp_path / "fhir-client.pem"
    key_file.write_bytes(reg.private_key_pem)
    settings = {
        "CARESHIFT_ENVIRONMENT": "development",
        "CARESHIFT_DATA_DIR": str(tmp_path / "data"),
        "CARESHIFT_FHIR_BASE_URL": server.base_url,
        "CARESHIFT_FHIR_CLIENT_ID": reg.client_id,
        "CARESHIFT_FHIR_TOKEN_URL": reg.token_url,
        "CARESHIFT_FHIR_PRIVATE_KEY_FILE": str(key_file),
        "CARESHIFT_FHIR_ALGORITHM": reg.algorithm,
        "CARESHIFT_WRITEBACK_EVERY_SECONDS": "0.2",
    }
    if reg.key_id:
        settings["CARESHIFT_FHIR_KEY_ID"] = reg.key_id
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    app, services = build_api(url, (UNIT,), time_limit=2.0, start_ticker=False)
    keys = development_keys(tmp_path / "data")
    now = datetime.now(UTC)

    def bearer(*scopes: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + mint(keys, subject="u", scopes=scopes, now=now)}

    events = open_store(url)
    try:
        current = services.service.planning.planning_input(UNIT).current or Schedule(())
        for n, gone in enumerate(first_night(current)):
            called = StaffCalledOut(
                occurred_at=now,
                recorded_at=now,
                source_system="test",
                source_id=f"c{n}",
                entity_id=gone.staff,
                unit=UNIT,
                day=gone.day,
                shift="N",
            )
            events.append([called])
        with TestClient(app) as client:
            mode = client.put(f"/units/{UNIT}/mode", json={"mode": "approve"}, headers=bearer("staffing.admin"))
            assert mode.status_code == 200
            plan = client.post(f"/units/{UNIT}/repair", headers=bearer("staffing.decide")).json()
            rec = plan["recommendation"]
            assert rec is not None and plan["check"]["feasible"], plan
            decide = client.post(
                f"/recommendations/{rec['id']}/decisions",
                json={"outcome": "accepted"},
                headers=bearer("staffing.decide"),
            )
            assert decide.status_code == 201
            approve = client.post(f"/recommendations/{rec['id']}/approval", json={}, headers=bearer("staffing.approve"))
            assert approve.status_code == 200
            deadline = time.monotonic() + 30
            states: set[str] = set()
            while time.monotonic() < deadline:
                with services.service.uow() as uow:
                    states = {m.state.value for m in uow.outbox.all()}
                if states == {"done"}:
                    break
                time.sleep(0.2)
            assert states == {"done"}
    finally:
        services.close()
        events.close()
    written = asyncio.run(slots(server, reg))
    booked = sorted(s["identifier"][0]["value"] for s in written if s["status"] == "busy")
    assert booked == sorted(f"{UNIT}:{a['staff']}:{a['day']}:{a['shift']}:" for a in rec["added"])
