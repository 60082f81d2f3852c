"""FHIR Bulk Data ``$export`` (system level): kick-off, polling, manifest, NDJSON download,
and incremental runs that pass the last manifest's ``transactionTime`` as ``_since``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from careshift.adapters.fhir.auth import Clock, utc_now
from careshift.adapters.fhir.client import READABLE_TYPES, FhirClient, JsonObject
from careshift.adapters.fhir.errors import FhirServerError
from careshift.adapters.fhir.retry import parse_retry_after
from careshift.domain.errors import DataContractError


@dataclass(frozen=True)
class ExportFile:
    """One NDJSON file of the manifest's ``output`` (or ``error``) list."""

    type: str
    url: str
    count: int | None = None


@dataclass(frozen=True)
class ExportManifest:
    """The completed export: ``transaction_time`` is the server's snapshot instant, the
    ``_since`` of the next incremental export."""

    transaction_time: datetime
    request: str
    requires_access_token: bool
    output: tuple[ExportFile, ...]
    error: tuple[ExportFile, ...] = ()


class ExportCheckpoints(Protocol):
    """Where the last completed export's ``transactionTime`` is kept, per export name."""

    def last_transaction_time(self, name: str) -> datetime | None: ...

    def save(self, name: str, transaction_time: datetime) -> None: ...


class InMemoryExportCheckpoints:
    """Checkpoints for tests and one-shot runs (the store provides the durable kind)."""

    def __init__(self) -> None:
        self._times: dict[str, datetime] = {}

    def last_transaction_time(self, name: str) -> datetime | None:
        return self._times.get(name)

    def save(self, name: str, transaction_time: datetime) -> None:
        self._times[name] = transaction_time


@dataclass(frozen=True)
class ExportRun:
    """What one incremental export did."""

    manifest: ExportManifest
    since: datetime | None
    resources: int


class BulkExporter:
    """Runs system-level ``$export`` jobs against one :class:`FhirClient`.

    Polling waits as long as the server's ``Retry-After`` says (or ``default_poll`` seconds)
    and gives up after ``max_wait`` of waiting, cancelling the job so the server can free it.
    """

    def __init__(
        self,
        client: FhirClient,
        *,
        default_poll: float = 5.0,
        max_wait: timedelta = timedelta(hours=1),
        clock: Clock = utc_now,
    ) -> None:
        self._client = client
        self._default_poll = default_poll
        self._max_wait = max_wait
        self._clock = clock

    async def kick_off(self, types: Sequence[str], since: datetime | None = None) -> str:
        """Start an export of ``types`` changed after ``since``; return the status URL."""
        for resource_type in types:
            if resource_type not in READABLE_TYPES:
                raise DataContractError(f"careshift does not export {resource_type}", source="$export _type")
        params = {"_type": ",".join(types), "_outputFormat": "application/fhir+ndjson"}
        if since is not None:
            params["_since"] = since.isoformat()
        request = httpx.Request(
            "GET",
            f"{self._client.base_url}/$export",
            params=params,
            headers={"Accept": "application/fhir+json", "Prefer": "respond-async"},
        )
        response = await self._client.send(request)
        location = response.headers.get("Content-Location")
        if response.status_code != 202 or not location:
            raise FhirServerError(
                f"$export kick-off answered HTTP {response.status_code} without Content-Location; "
                "the server does not support asynchronous Bulk Data export",
                status=response.status_code,
            )
        return str(location)

    async def wait(self, status_url: str) -> ExportManifest:
        """Poll ``status_url`` until the manifest is ready."""
        waited = 0.0
        while True:
            response = await self._client.send(httpx.Request("GET", status_url, headers={"Accept": "application/json"}))
            if response.status_code == 200:
                return parse_manifest(response.json(), status_url)
            if response.status_code != 202:
                raise FhirServerError(
                    f"export status answered HTTP {response.status_code}", status=response.status_code
                )
            delay = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            delay = self._default_poll if delay is None else delay
            if waited + delay > self._max_wait.total_seconds():
                await self.cancel(status_url)
                raise FhirServerError(
                    f"export at {status_url} not ready after {waited:.0f}s; raise max_wait or export fewer types"
                )
            waited += delay
            await self._client.sleep(delay)

    async def cancel(self, status_url: str) -> None:
        """Ask the server to drop the job (best effort: a failure here changes nothing for us)."""
        try:
            await self._client.send(httpx.Request("DELETE", status_url))
        except FhirServerError:
            return

    async def resources(self, file: ExportFile, *, requires_access_token: bool = True) -> AsyncIterator[JsonObject]:
        """The resources of one NDJSON file, streamed line by line."""
        async with self._client.stream(file.url, authenticated=requires_access_token) as response:
            line_no = 0
            async for line in response.aiter_lines():
                line_no += 1
                if not line.strip():
                    continue
                try:
                    resource = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataContractError(
                        "line is not JSON; the export file is truncated or not NDJSON",
                        source=f"$export {file.type}",
                        location=f"line {line_no}",
                    ) from exc
                if not isinstance(resource, dict) or resource.get("resourceType") != file.type:
                    raise DataContractError(
                        f"expected a {file.type} resource", source=f"$export {file.type}", location=f"line {line_no}"
                    )
                yield resource

    async def export(self, types: Sequence[str], since: datetime | None = None) -> ExportManifest:
        """Kick off and wait: the manifest of a completed export."""
        return await self.wait(await self.kick_off(types, since))


async def incremental_export(
    exporter: BulkExporter,
    checkpoints: ExportCheckpoints,
    name: str,
    types: Sequence[str],
    handle: Callable[[JsonObject], Awaitable[None]],
) -> ExportRun:
    """Export what changed since the last completed run named ``name`` and hand every
    resource to ``handle``. The checkpoint moves to this manifest's ``transactionTime`` only
    after every resource was handled, so a crash repeats the run instead of skipping data
    (handlers must therefore be idempotent, as the event log is)."""
    since = checkpoints.last_transaction_time(name)
    manifest = await exporter.export(types, since)
    count = 0
    for file in manifest.output:
        async for resource in exporter.resources(file, requires_access_token=manifest.requires_access_token):
            await handle(resource)
            count += 1
    checkpoints.save(name, manifest.transaction_time)
    return ExportRun(manifest=manifest, since=since, resources=count)


def parse_manifest(body: Any, source: str) -> ExportManifest:
    """Check and read a Bulk Data completion manifest."""
    if not isinstance(body, dict):
        raise DataContractError("export manifest is not a JSON object", source=source)
    try:
        transaction_time = datetime.fromisoformat(str(body["transactionTime"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise DataContractError(
            "manifest lacks a valid transactionTime; without it incremental exports cannot resume",
            source=source,
        ) from exc
    if transaction_time.tzinfo is None:
        raise DataContractError("manifest transactionTime has no timezone", source=source)

    def files(key: str) -> tuple[ExportFile, ...]:
        items = body.get(key) or []
        if not isinstance(items, list):
            raise DataContractError(f"manifest {key} is not a list", source=source)
        out = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("type") or not item.get("url"):
                raise DataContractError(f"manifest {key}[{index}] needs type and url", source=source)
            count = item.get("count")
            out.append(ExportFile(type=str(item["type"]), url=str(item["url"]), count=int(count) if count else None))
        return tuple(out)

    return ExportManifest(
        transaction_time=transaction_time,
        request=str(body.get("request", "")),
        requires_access_token=bool(body.get("requiresAccessToken", False)),
        output=files("output"),
        error=files("error"),
    )
