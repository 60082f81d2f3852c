"""Against the real FHIR server: Bulk $export kick-off, polling that honours Retry-After,
NDJSON download, and an incremental export whose _since is the last transactionTime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from careshift.adapters.fhir.auth import SmartBackendAuth
from careshift.adapters.fhir.bulk import BulkExporter, InMemoryExportCheckpoints, incremental_export
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.mapping import LocationDirectory, MappingConfig, encounter_events
from careshift.adapters.fhir.retry import RetryPolicy
from careshift.adapters.keyed_hash import KeyedHasher
from tests.fhir_samples import child, encounter, ward
from tests.integration.fhir_server_process import FhirTestServer, RecordingSleep, running_fhir_server

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def server() -> Iterator[FhirTestServer]:
    with running_fhir_server() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: FhirTestServer) -> None:
    server.admin("reset")
    server.admin("config", {"tokenTtlSeconds": 300, "exportPolls": 2, "exportRetryAfterSeconds": 1})


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def exporter_for(server: FhirTestServer, http: httpx.AsyncClient, sleep: RecordingSleep) -> BulkExporter:
    client = FhirClient(
        server.base_url,
        http=http,
        auth=SmartBackendAuth(server.register("RS384")),
        retry=RetryPolicy(max_attempts=4, base_delay=0.05),
        sleep=sleep,
    )
    return BulkExporter(client, default_poll=0.2)


async def test_export_polls_with_retry_after_and_downloads_ndjson(
    server: FhirTestServer, http: httpx.AsyncClient
) -> None:
    server.seed([ward("w4", "4 West"), *[child(f"b{n}", "w4", "bd") for n in range(5)]])
    server.seed([encounter("e1", "in-progress", [("b1", "2026-03-01T08:00:00+00:00", None)])])
    sleep = RecordingSleep()
    exporter = exporter_for(server, http, sleep)

    manifest = await exporter.export(["Location", "Encounter"])
    assert sleep.calls == [1.0, 1.0]  # two "in progress" answers, each with Retry-After: 1
    assert server.stats()["exportPolls"] == 3
    assert {(f.type, f.count) for f in manifest.output} == {("Location", 6), ("Encounter", 1)}
    assert manifest.requires_access_token and manifest.transaction_time.tzinfo is not None

    by_type: dict[str, list[dict[str, Any]]] = {}
    for file in manifest.output:
        by_type[file.type] = [r async for r in exporter.resources(file)]
    config = MappingConfig(source_system="fhir:bulk", hasher=KeyedHasher(b"k" * 32))
    directory = LocationDirectory.from_locations(by_type["Location"], config)
    assert directory.units[0].beds == 5
    events = encounter_events(by_type["Encounter"][0], directory, config, datetime.now(UTC))
    assert [e.kind for e in events] == ["PatientArrived"]


async def test_incremental_export_uses_last_transaction_time_as_since(
    server: FhirTestServer, http: httpx.AsyncClient
) -> None:
    server.admin("config", {"exportPolls": 0})
    server.seed([ward("w4", "4 West"), child("b1", "w4", "bd"), child("b2", "w4", "bd")])
    checkpoints = InMemoryExportCheckpoints()
    seen: list[list[str]] = []

    async def run() -> None:
        batch: list[str] = []

        async def handle(resource: dict[str, Any]) -> None:
            batch.append(resource["id"])

        result = await incremental_export(
            exporter_for(server, http, RecordingSleep()), checkpoints, "units", ["Location"], handle
        )
        assert result.resources == len(batch)
        seen.append(sorted(batch))

    await run()
    first_time = checkpoints.last_transaction_time("units")
    assert seen[0] == ["b1", "b2", "w4"] and first_time is not None

    await asyncio.sleep(0.05)  # lastUpdated has millisecond resolution
    server.seed([child("b3", "w4", "bd"), child("b1", "w4", "bd", status="inactive")])  # one new, one changed
    await run()
    assert seen[1] == ["b1", "b3"]
    second_time = checkpoints.last_transaction_time("units")
    assert second_time is not None and second_time > first_time

    await run()
    assert seen[2] == []  # nothing changed since the second export


async def test_export_feeds_the_event_stream_and_quarantines_bad_resources(
    server: FhirTestServer, http: httpx.AsyncClient
) -> None:
    """Real server → incremental $export → mapping → embedded event stream → idempotent store."""
    from careshift.adapters.fhir.ingest import FhirEventFeed, Rejected
    from careshift.adapters.stream.embedded import EmbeddedEventStream
    from tests.fhir_samples import appointment
    from tests.stream_samples import IdempotentStore

    server.admin("config", {"exportPolls": 0})
    server.seed([ward("w4", "4 West"), child("b1", "w4", "bd"), child("b2", "w4", "bd")])
    server.seed(
        [
            encounter("e1", "in-progress", [("b1", "2026-03-01T08:00:00+00:00", None)]),
            encounter("e2", "in-progress", [("b2", "2026-03-01T09:00:00+00:00", None)]),
            encounter("bad", "admitted", [("b2", "2026-03-01T09:00:00+00:00", None)]),
            appointment("a1", "booked", "w4", "2026-03-03T09:00:00+00:00", "2026-03-03T10:00:00+00:00"),
        ]
    )
    exporter = exporter_for(server, http, RecordingSleep())
    config = MappingConfig(source_system="fhir:bulk", hasher=KeyedHasher(b"k" * 32))
    manifest = await exporter.export(["Location"])
    directory = LocationDirectory.from_locations([r async for r in exporter.resources(manifest.output[0])], config)

    stream = EmbeddedEventStream()
    quarantine: list[Rejected] = []

    async def reject(rejected: Rejected) -> None:
        quarantine.append(rejected)

    feed = FhirEventFeed(directory, config, publish=stream.publish, reject=reject)
    checkpoints = InMemoryExportCheckpoints()
    await incremental_export(exporter, checkpoints, "census", ["Encounter", "Appointment"], feed)
    assert feed.published == 3 and feed.rejected == 1
    assert quarantine[0].source == f"Encounter#{config.hasher('Encounter', 'bad')}"
    assert "Encounter.status is 'admitted'" in quarantine[0].reason

    await asyncio.sleep(0.05)
    server.seed([encounter("e1", "finished", [("b1", "2026-03-01T08:00:00+00:00", "2026-03-02T10:00:00+00:00")])])
    await incremental_export(exporter, checkpoints, "census", ["Encounter", "Appointment"], feed)
    assert feed.published == 3 + 2  # only e1 was exported again: its arrival (a duplicate) and its departure

    store = IdempotentStore()
    assert await stream.consume("census", store.add) == 5
    kinds = sorted(e.kind for e in store.events.values())
    assert kinds == ["AppointmentBooked", "PatientArrived", "PatientArrived", "PatientDeparted"]
