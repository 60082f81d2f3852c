"""Against the real FHIR server with its fault-injection hook: 429 with Retry-After, 503,
dropped connections (on reads, the token endpoint and export polling), and giving up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.bulk import BulkExporter
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirServerError
from careshift.adapters.fhir.retry import RetryPolicy
from tests.fhir_samples import ward
from tests.integration.fhir_server_process import FhirTestServer, RecordingSleep, running_fhir_server

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: FhirTestServer) -> None:
    server.admin("reset")
    server.admin("config", {"tokenTtlSeconds": 300, "exportPolls": 0})
    server.seed([ward("w4", "4 West")])


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def client_for(server: FhirTestServer, http: httpx.AsyncClient, sleep: RecordingSleep, attempts: int = 5) -> FhirClient:
    return FhirClient(
        server.base_url,
        http=http,
        auth=SmartBackendAuth(server.register("ES384")),
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.05, jitter=lambda: 1.0),
        sleep=sleep,
    )


async def test_429_waits_for_retry_after(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    client = client_for(server, http, sleep)
    await client.read("Location", "w4")  # token first, so the faults hit the read
    server.admin("faults", {"count": 2, "status": 429, "retryAfter": 1, "pathContains": "/fhir/Location"})
    assert (await client.read("Location", "w4"))["id"] == "w4"
    assert sleep.calls == [1.0, 1.0]
    assert server.stats()["faultsServed"] == 2


async def test_503_backs_off_exponentially(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    client = client_for(server, http, sleep)
    await client.read("Location", "w4")
    server.admin("faults", {"count": 3, "status": 503, "pathContains": "/fhir/Location"})
    assert [r["id"] async for r in client.search("Location")] == ["w4"]
    assert sleep.calls == pytest.approx([0.05, 0.1, 0.2])


async def test_dropped_connections_are_retried(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    client = client_for(server, http, sleep)
    await client.read("Location", "w4")
    server.admin("faults", {"count": 2, "status": 0, "pathContains": "/fhir/Location"})
    assert (await client.read("Location", "w4"))["id"] == "w4"
    assert len(sleep.calls) == 2 and server.stats()["faultsServed"] == 2


async def test_token_endpoint_faults_are_retried(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    server.admin("faults", {"count": 2, "status": 503, "retryAfter": 1, "pathContains": "/auth/token"})
    client = client_for(server, http, sleep)
    assert (await client.read("Location", "w4"))["id"] == "w4"
    stats = server.stats()
    assert stats["tokensIssued"] == 1 and stats["faultsServed"] == 2
    assert sleep.calls == [1.0, 1.0]


async def test_export_poll_survives_throttling(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    exporter = BulkExporter(client_for(server, http, sleep), default_poll=0.1)
    status_url = await exporter.kick_off(["Location"])
    server.admin("faults", {"count": 1, "status": 429, "retryAfter": 1, "pathContains": "$export-poll"})
    manifest = await exporter.wait(status_url)
    assert [f.type for f in manifest.output] == ["Location"] and sleep.calls == [1.0]


async def test_gives_up_after_the_retry_budget(server: FhirTestServer, http: httpx.AsyncClient) -> None:
    sleep = RecordingSleep()
    client = client_for(server, http, sleep, attempts=3)
    await client.read("Location", "w4")
    server.admin("faults", {"count": 10, "status": 503, "pathContains": "/fhir/Location"})
    with pytest.raises(FhirServerError, match="still failing after 3 attempts") as info:
        await client.read("Location", "w4")
    assert info.value.status == 503 and server.stats()["faultsServed"] == 3
