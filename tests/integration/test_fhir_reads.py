"""Against the real FHIR server: SMART backend-services tokens (RS384/ES384, caching, refresh,
revocation), paging over Bundle next links, and mapping what was read to events and staff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from careshift.adapters.fhir.auth import ClientRegistration, SmartBackendAuth
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirAuthorisationError
from careshift.adapters.fhir.mapping import (
    LocationDirectory,
    MappingConfig,
    appointment_events,
    encounter_events,
    parse_resource,
    staff_from,
)
from careshift.adapters.fhir.retry import RetryPolicy
from careshift.adapters.keyed_hash import KeyedHasher
from careshift.domain.events import AppointmentBooked, PatientArrived, PatientDeparted
from tests.fhir_samples import UNIT_SYSTEM, appointment, child, encounter, practitioner, practitioner_role, ward
from tests.integration.fhir_server_process import FhirTestServer, running_fhir_server

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: FhirTestServer) -> None:
    server.admin("reset")
    server.admin("config", {"tokenTtlSeconds": 300, "exportPolls": 1, "exportRetryAfterSeconds": 1})


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def client_for(server: FhirTestServer, http: httpx.AsyncClient, reg: ClientRegistration, **kw: object) -> FhirClient:
    return FhirClient(
        server.base_url,
        http=http,
        auth=SmartBackendAuth(reg),
        retry=RetryPolicy(max_attempts=4, base_delay=0.05),
        **kw,  # type: ignore[arg-type]
    )


async def test_metadata_advertises_the_token_endpoint(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    metadata = (await http.get(f"{server.base_url}/metadata")).json()
    assert metadata["resourceType"] == "CapabilityStatement" and metadata["fhirVersion"] == "4.0.1"
    uris = metadata["rest"][0]["security"]["extension"][0]["extension"]
    assert {"url": "token", "valueUri": server.token_url} in uris
    unauthenticated = await http.get(f"{server.base_url}/Location")
    assert unauthenticated.status_code == 401


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
async def test_paging_follows_next_links_over_the_real_server(
    server: FhirTestServer, http: httpx.AsyncClient, algorithm: str
) -> None:
    server.seed(
        [{"resourceType": "Location", "id": f"loc-{n:02d}", "name": f"L{n}", "status": "active"} for n in range(23)]
    )
    client = client_for(server, http, server.register(algorithm), page_size=10)  # type: ignore[arg-type]
    ids = [resource["id"] async for resource in client.search("Location")]
    assert sorted(ids) == [f"loc-{n:02d}" for n in range(23)]
    stats = server.stats()
    assert stats["tokensIssued"] == 1  # one token for all three pages
    assert stats["requests"] == 1 + 3  # the token request and three pages


async def test_token_is_cached_then_refreshed_after_expiry(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    server.admin("config", {"tokenTtlSeconds": 2})
    server.seed([ward("w4", "4 West")])
    client = client_for(server, http, server.register("RS384"))
    for _ in range(3):
        assert [r["id"] async for r in client.search("Location")] == ["w4"]
    assert server.stats()["tokensIssued"] == 1
    await asyncio.sleep(1.2)  # past the refresh point (half of a 2 s token)
    assert (await client.read("Location", "w4"))["id"] == "w4"
    stats = server.stats()
    assert stats["tokensIssued"] == 2 and stats["unauthorized"] == 0


async def test_revoked_token_is_replaced_on_401(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    server.seed([ward("w4", "4 West")])
    client = client_for(server, http, server.register("ES384"))
    await client.read("Location", "w4")
    server.admin("revoke-tokens")
    assert (await client.read("Location", "w4"))["id"] == "w4"
    stats = server.stats()
    assert stats["unauthorized"] == 1 and stats["tokensIssued"] == 2


async def test_server_rejects_replayed_assertion_and_unregistered_key(
    server: FhirTestServer, http: httpx.AsyncClient
) -> None:
    reg = server.register("ES384")
    auth = SmartBackendAuth(reg)
    request = auth.token_request()
    assert (await http.send(request)).status_code == 200
    replay = await http.post(
        reg.token_url, content=request.content, headers={"Content-Type": request.headers["Content-Type"]}
    )
    assert replay.status_code == 401 and "jti" in replay.json()["error_description"]

    from tests.fhir_keys import registration

    impostor, _ = registration(server.token_url, "ES384", client_id=reg.client_id)  # same id, other key
    with pytest.raises(FhirAuthorisationError, match="signature"):
        await client_for(server, http, impostor).read("Location", "w4")


async def test_read_and_map_a_small_hospital(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    server.seed(
        [
            ward("w4", "4 West", unit_code="4W"),
            ward("icu", "ICU", icu=True, tz="America/Los_Angeles"),
            child("w4-b1", "w4", "bd"),
            child("w4-b2", "w4", "bd"),
            child("icu-b1", "icu", "bd"),
            encounter(
                "e1",
                "in-progress",
                [
                    ("w4-b1", "2026-03-01T08:00:00+00:00", "2026-03-01T14:00:00+00:00"),
                    ("icu-b1", "2026-03-01T14:00:00+00:00", None),
                ],
            ),
            encounter("e2", "finished", [("w4-b2", "2026-03-01T09:00:00+00:00", "2026-03-02T09:00:00+00:00")]),
            appointment("a1", "booked", "icu", "2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
            practitioner("n1"),
            practitioner_role("r1", "n1", locations=("w4",), specialty="telemetry"),
            {
                "resourceType": "Schedule",
                "id": "s1",
                "active": True,
                "actor": [{"reference": "Location/icu"}],
                "planningHorizon": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-08T00:00:00Z"},
            },
            *[
                {
                    "resourceType": "Slot",
                    "id": f"slot{n}",
                    "schedule": {"reference": "Schedule/s1"},
                    "status": "free" if n % 2 else "busy",
                    "start": f"2026-03-03T{8 + n:02d}:00:00Z",
                    "end": f"2026-03-03T{9 + n:02d}:00:00Z",
                }
                for n in range(5)
            ],
        ]
    )
    client = client_for(server, http, server.register("ES384"), page_size=2)
    config = MappingConfig(source_system="fhir:test", hasher=KeyedHasher(b"k" * 32), unit_identifier_system=UNIT_SYSTEM)
    directory = LocationDirectory.from_locations([r async for r in client.search("Location")], config)
    assert {(u.id, u.beds) for u in directory.units} == {("4W", 2), ("icu", 1)}

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    events = [e async for raw in client.search("Encounter") for e in encounter_events(raw, directory, config, now)]
    events += [e async for raw in client.search("Appointment") for e in appointment_events(raw, directory, config, now)]
    census: dict[str, int] = {}
    for event in events:
        if event.unit is not None:
            step = 1 if isinstance(event, PatientArrived) else -1 if isinstance(event, PatientDeparted) else 0
            census[event.unit] = census.get(event.unit, 0) + step
    assert census == {"4W": 0, "icu": 1}
    assert sum(isinstance(e, AppointmentBooked) for e in events) == 1

    roles = [r async for r in client.search("PractitionerRole", {"practitioner": "Practitioner/n1"})]
    staff = staff_from(await client.read("Practitioner", "n1"), roles, directory, config, date(2026, 3, 2))
    assert staff is not None and staff.home_unit == "4W" and staff.roles == frozenset({"RN"})

    schedules = [parse_resource(r, "Schedule") async for r in client.search("Schedule")]
    slots = [parse_resource(r, "Slot") async for r in client.search("Slot", {"schedule": "Schedule/s1"})]
    assert [s.actor[0].reference for s in schedules] == ["Location/icu"]
    assert sorted(s.status for s in slots) == ["busy", "busy", "busy", "free", "free"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "https://elsewhere.example/token"}, "aud must be the token endpoint"),
        ({"exp_in": 600}, "more than five minutes"),
        ({"exp_in": -10}, "expired"),
    ],
)
async def test_server_checks_aud_and_exp_of_the_assertion(
    server: FhirTestServer, http: httpx.AsyncClient, change: dict[str, object], reason: str
) -> None:
    import time
    import uuid

    import jwt

    reg = server.register("RS384")
    now = int(time.time())
    claims = {
        "iss": reg.client_id,
        "sub": reg.client_id,
        "aud": change.get("aud", reg.token_url),
        "exp": now + int(change.get("exp_in", 240)),  # type: ignore[call-overload]
        "jti": uuid.uuid4().hex,
    }
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    assertion = jwt.encode(claims, load_pem_private_key(reg.private_key_pem, None), algorithm="RS384")  # type: ignore[arg-type]
    response = await http.post(
        reg.token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 401 and reason in response.json()["error_description"]
