"""`careshift ingest` commands: receive feeds into the event store."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from careshift.adapters.fhir.bulk import ExportCheckpoints
    from careshift.adapters.keyed_hash import KeyedHasher
    from careshift.adapters.store.sql import SqlStore

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: $CARESHIFT_DATABASE_URL or a SQLite file)")
]


def mllp(
    port: Annotated[int, typer.Option(help="TCP port to listen on (0: any free port)")] = 2575,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    db: DbOption = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate chain: enables TLS")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key for --tls-cert")] = None,
    timezone: Annotated[str, typer.Option(help="IANA zone for HL7 timestamps without an offset")] = "UTC",
    max_message_bytes: Annotated[int, typer.Option(help="Largest message kept in full")] = 16 * 1024 * 1024,
    log_level: Annotated[str, typer.Option(help="Logging level (no PHI is logged at any level)")] = "WARNING",
) -> None:
    """Receive HL7 v2 ADT and SIU^S15 call-outs over MLLP; acknowledge each message after it is committed.

    Patient and encounter ids are hashed with the key in $CARESHIFT_ID_HASH_KEY.
    """
    import logging
    import signal

    from careshift.adapters.hl7v2.ingest import Hl7Ingestor
    from careshift.adapters.hl7v2.listener import MllpListener, tls_context
    from careshift.adapters.keyed_hash import KeyedHasher
    from careshift.adapters.store import open_store
    from careshift.domain.errors import ServiceUnavailableError
    from careshift.domain.time import zone

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if (tls_cert is None) != (tls_key is None):
        raise ServiceUnavailableError("TLS needs both --tls-cert and --tls-key")
    hasher = KeyedHasher.from_env()
    store = open_store(db)
    ingestor = Hl7Ingestor(store, hasher, default_zone=zone(timezone))
    context = tls_context(str(tls_cert), str(tls_key)) if tls_cert and tls_key else None
    listener = MllpListener(ingestor, host=host, port=port, tls=context, max_bytes=max_message_bytes)

    async def run() -> None:
        await listener.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        typer.echo(f"careshift mllp listening on {host}:{listener.port}{' (TLS)' if context else ''}", err=True)
        serving = asyncio.create_task(listener.serve_forever())
        await stop.wait()
        serving.cancel()
        await listener.close()

    try:
        asyncio.run(run())
    except OSError as exc:
        raise ServiceUnavailableError(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from exc
    finally:
        store.close()


def fhir(
    base: Annotated[str, typer.Option("--base", help="FHIR R4 base URL, e.g. https://ehr.example/fhir/R4")],
    client_id: Annotated[str, typer.Option("--client-id", help="careshift's SMART backend client id")],
    key: Annotated[Path, typer.Option("--key", help="PEM private key registered (as JWKS) for --client-id")],
    token_url: Annotated[str, typer.Option("--token-url", help="The server's OAuth 2 token endpoint")],
    alg: Annotated[str, typer.Option("--alg", help="Client assertion algorithm: RS384 or ES384")] = "RS384",
    key_id: Annotated[str | None, typer.Option("--key-id", help="kid of the registered JWK, if it has one")] = None,
    scope: Annotated[str, typer.Option(help="Scopes to request")] = "system/*.read",
    since: Annotated[
        str, typer.Option("--since", help="auto: since the last completed export; full: everything; or an ISO instant")
    ] = "auto",
    source_system: Annotated[
        str | None, typer.Option("--source-system", help="Stable name of this source (default: fhir:<base URL>)")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA zone for FHIR times without an offset")] = "UTC",
    poll: Annotated[
        float, typer.Option(help="Seconds between status polls when the server gives no Retry-After")
    ] = 5.0,
    db: DbOption = None,
) -> None:
    """Run an incremental FHIR Bulk $export (Encounter, Appointment) into the event log.

    Locations are read first (they give the units); changed Encounters and Appointments are
    mapped to events, published on the embedded event stream in the store and drained from
    there into the event log; resources that break the contract go to quarantine. The export
    checkpoint moves only after everything was handled, so an interrupted run is repeated,
    never skipped. Patient and encounter ids are hashed with $CARESHIFT_ID_HASH_KEY.
    """
    from careshift.adapters.keyed_hash import KeyedHasher
    from careshift.adapters.store import open_store
    from careshift.domain.errors import InputError

    if alg not in ("RS384", "ES384"):
        raise InputError(f"--alg {alg!r} is not supported; use RS384 or ES384", source="careshift ingest fhir")
    try:
        private_key_pem = key.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the key file ({exc.strerror}); pass a PEM file", source=str(key)) from exc
    since_at = _parse_since(since)
    hasher = KeyedHasher.from_env()
    store = open_store(db)
    try:
        summary = asyncio.run(
            _ingest_fhir(
                store,
                hasher,
                _FhirSource(
                    base=base,
                    client_id=client_id,
                    token_url=token_url,
                    private_key_pem=private_key_pem,
                    algorithm=alg,
                    key_id=key_id,
                    scope=scope,
                    source_system=source_system or f"fhir:{base.rstrip('/')}",
                    timezone=timezone,
                    poll=poll,
                ),
                since_at,
            )
        )
    finally:
        store.close()
    typer.echo(summary)


@dataclass(frozen=True)
class _FhirSource:
    base: str
    client_id: str
    token_url: str
    private_key_pem: bytes = field(repr=False)
    algorithm: str
    key_id: str | None
    scope: str
    source_system: str
    timezone: str
    poll: float


def _parse_since(since: str) -> datetime | Literal["auto", "full"]:
    from careshift.domain.errors import InputError

    if since in ("auto", "full"):
        return "auto" if since == "auto" else "full"
    try:
        at = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise InputError(
            f"--since {since!r} is neither auto, full nor an ISO instant with offset (2026-03-01T00:00:00Z)",
            source="careshift ingest fhir",
        )
    return at


class _SinceOverride:
    """Checkpoints that start from a given instant (or from scratch) but still save the new one."""

    def __init__(self, inner: ExportCheckpoints, since: datetime | None) -> None:
        self._inner = inner
        self._since = since

    def last_transaction_time(self, name: str) -> datetime | None:  # noqa: ARG002
        return self._since

    def save(self, name: str, transaction_time: datetime) -> None:
        self._inner.save(name, transaction_time)


EXPORT_TYPES = ("Encounter", "Appointment")


async def _ingest_fhir(
    store: SqlStore, hasher: KeyedHasher, source: _FhirSource, since: datetime | Literal["auto", "full"]
) -> str:
    import httpx
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from careshift.adapters.fhir import (
        BulkExporter,
        ClientRegistration,
        FhirClient,
        FhirEventFeed,
        LocationDirectory,
        MappingConfig,
        SmartBackendAuth,
        incremental_export,
    )
    from careshift.adapters.fhir.ingest import QuarantineRejects
    from careshift.adapters.store.stream_log import SqlExportCheckpoints, SqlLogStorage
    from careshift.adapters.stream.embedded import EmbeddedEventStream
    from careshift.domain.events import Event

    registration = ClientRegistration(
        client_id=source.client_id,
        token_url=source.token_url,
        private_key_pem=source.private_key_pem,
        algorithm="ES384" if source.algorithm == "ES384" else "RS384",
        key_id=source.key_id,
        scope=source.scope,
    )
    config = MappingConfig(source_system=source.source_system, hasher=hasher, default_timezone=source.timezone)
    stored: ExportCheckpoints = SqlExportCheckpoints(store.engine)
    checkpoints = stored if since == "auto" else _SinceOverride(stored, None if since == "full" else since)
    name = f"{source.source_system}/census"
    stream = EmbeddedEventStream(SqlLogStorage(store.engine))
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:>7}"))
    async with httpx.AsyncClient(timeout=60) as http:
        client = FhirClient(source.base, http=http, auth=SmartBackendAuth(registration))
        with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=False) as progress:
            reading = progress.add_task("Locations (units)", total=None)
            locations = []
            async for location in client.search("Location"):
                locations.append(location)
                progress.advance(reading)
            progress.update(reading, total=len(locations), completed=len(locations))
            directory = LocationDirectory.from_locations(locations, config)

            exporting = progress.add_task("$export Encounter, Appointment", total=None)
            feed = FhirEventFeed(
                directory, config, publish=stream.publish, reject=QuarantineRejects(store, source.source_system)
            )

            async def handle(resource: dict[str, object]) -> None:
                await feed(resource)
                progress.advance(exporting)

            run = await incremental_export(
                BulkExporter(client, default_poll=source.poll), checkpoints, name, EXPORT_TYPES, handle
            )
            progress.update(exporting, total=run.resources, completed=run.resources)

            logging = progress.add_task("event log", total=None)
            appended = 0

            async def append(event: Event) -> None:
                nonlocal appended
                result = await asyncio.to_thread(store.append, [event])
                appended += len(result.appended)
                progress.advance(logging)

            drained = await stream.consume(EVENT_LOG_GROUP, append)
            progress.update(logging, total=drained, completed=drained)
    since_text = run.since.isoformat() if run.since else "the beginning"
    return (
        f"exported {run.resources} resources changed since {since_text} "
        f"(transactionTime {run.manifest.transaction_time.isoformat()}): "
        f"{feed.published} events published, {appended} new in the event log, {feed.rejected} quarantined"
    )


EVENT_LOG_GROUP = "careshift-event-log"
"""The consumer group that moves events from the embedded stream into the event log."""


def register(root: typer.Typer) -> None:
    """Add ``careshift ingest ...`` to the root app."""
    group = typer.Typer(
        help="Receive feeds (HL7 v2 over MLLP, FHIR Bulk export) into the event store.", no_args_is_help=True
    )
    group.command("mllp")(mllp)
    group.command("fhir")(fhir)
    root.add_typer(group, name="ingest")
