"""Bulk $export request shapes and the incremental checkpoint, against httpx.MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from careshift.adapters.fhir.bulk import BulkExporter, InMemoryExportCheckpoints, incremental_export, parse_manifest
from careshift.adapters.fhir.client import FhirClient
from careshift.adapters.fhir.errors import FhirServerError
from careshift.adapters.fhir.retry import RetryPolicy
from careshift.domain.errors import DataContractError

BASE = "https://ehr.example/fhir"


class FakeExportServer:
    def __init__(self, *, busy_polls: int = 2) -> None:
        self.busy_polls = busy_polls
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.exports = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/fhir/$export":
            self.exports += 1
            return httpx.Response(202, headers={"Content-Location": f"{BASE}/status/{self.exports}"})
        if path.startswith("/fhir/status/"):
            if request.method == "DELETE":
                return httpx.Response(202)
            if self.busy_polls:
                self.busy_polls -= 1
                return httpx.Response(202, headers={"Retry-After": "7", "X-Progress": "50%"})
            return httpx.Response(200, json=self.manifest())
        if path == "/fhir/files/Location.ndjson":
            lines = [json.dumps({"resourceType": "Location", "id": str(i)}) for i in range(3)]
            return httpx.Response(200, text="\n".join(lines) + "\n\n")
        return httpx.Response(404)

    def manifest(self) -> dict[str, Any]:
        return {
            "transactionTime": f"2026-03-02T12:0{self.exports}:00Z",
            "request": f"{BASE}/$export",
            "requiresAccessToken": True,
            "output": [{"type": "Location", "url": f"{BASE}/files/Location.ndjson", "count": 3}],
            "error": [],
        }

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def exporter(self) -> BulkExporter:
        client = FhirClient(
            BASE,
            http=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            retry=RetryPolicy(max_attempts=2, base_delay=0.01),
            sleep=self.sleep,
        )
        return BulkExporter(client, default_poll=1.0)


async def test_kick_off_polls_with_retry_after_and_downloads_ndjson() -> None:
    server = FakeExportServer(busy_polls=2)
    exporter = server.exporter()
    since = datetime(2026, 3, 1, tzinfo=UTC)
    manifest = await exporter.export(["Location", "Encounter"], since)
    kickoff = server.requests[0]
    assert kickoff.headers["Prefer"] == "respond-async"
    assert kickoff.url.params["_type"] == "Location,Encounter"
    assert datetime.fromisoformat(kickoff.url.params["_since"]) == since
    assert server.sleeps == [7.0, 7.0]
    assert manifest.transaction_time == datetime(2026, 3, 2, 12, 1, tzinfo=UTC)
    ids = [r["id"] async for r in exporter.resources(manifest.output[0])]
    assert ids == ["0", "1", "2"]


async def test_incremental_export_passes_last_transaction_time_as_since() -> None:
    server = FakeExportServer(busy_polls=0)
    checkpoints = InMemoryExportCheckpoints()
    seen: list[str] = []

    async def handle(resource: dict[str, Any]) -> None:
        seen.append(resource["id"])

    first = await incremental_export(server.exporter(), checkpoints, "units", ["Location"], handle)
    second = await incremental_export(server.exporter(), checkpoints, "units", ["Location"], handle)
    kickoffs = [r for r in server.requests if r.url.path == "/fhir/$export"]
    assert "_since" not in kickoffs[0].url.params
    assert datetime.fromisoformat(kickoffs[1].url.params["_since"]) == first.manifest.transaction_time
    assert second.since == first.manifest.transaction_time and second.resources == 3
    assert checkpoints.last_transaction_time("units") == second.manifest.transaction_time


async def test_checkpoint_stays_put_when_the_handler_fails() -> None:
    server = FakeExportServer(busy_polls=0)
    checkpoints = InMemoryExportCheckpoints()

    async def broken(resource: dict[str, Any]) -> None:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        await incremental_export(server.exporter(), checkpoints, "units", ["Location"], broken)
    assert checkpoints.last_transaction_time("units") is None


async def test_export_that_never_finishes_is_cancelled() -> None:
    server = FakeExportServer(busy_polls=1000)
    client = FhirClient(BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(server)), sleep=server.sleep)
    from datetime import timedelta

    exporter = BulkExporter(client, max_wait=timedelta(seconds=20))
    with pytest.raises(FhirServerError, match="not ready"):
        await exporter.export(["Location"])
    assert server.requests[-1].method == "DELETE"


async def test_kick_off_without_content_location_is_an_error() -> None:
    client = FhirClient(
        BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    )
    with pytest.raises(FhirServerError, match="asynchronous"):
        await BulkExporter(client).kick_off(["Location"])


def test_manifest_needs_a_transaction_time() -> None:
    with pytest.raises(DataContractError, match="transactionTime"):
        parse_manifest({"output": []}, "status")
    with pytest.raises(DataContractError, match=r"output\[0\]"):
        parse_manifest({"transactionTime": "2026-03-02T12:00:00Z", "output": [{"type": "Location"}]}, "status")


async def test_ndjson_line_of_wrong_type_is_named_by_line() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text='{"resourceType":"Location","id":"1"}\n{"resourceType":"Patient","id":"2"}\n')

    client = FhirClient(BASE, http=httpx.AsyncClient(transport=httpx.MockTransport(server)))
    from careshift.adapters.fhir.bulk import ExportFile

    with pytest.raises(DataContractError, match="line 2"):
        [r async for r in BulkExporter(client).resources(ExportFile("Location", f"{BASE}/f.ndjson"))]
