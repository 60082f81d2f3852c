"""`careshift serve`, `careshift token` and `careshift audit verify`.

``serve`` runs the API over a database (SQLite file by default, PostgreSQL by URL), with
event-driven repair: the event feed follows the database's event log (whoever appended:
the in-process MLLP listener of ``--mllp-port``, or a separate ``careshift ingest``) and
hands new events to the bus, whose ticker repairs the units that call-outs or demand
triggers (the policy pack's ``triggers:`` thresholds) made due;
``token`` mints a development bearer token from the locally generated key pair and is
refused outside development; ``audit verify`` recomputes the audit hash chain and exits 1
when it finds tampering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from contextlib import AbstractAsyncContextManager
    from datetime import tzinfo

    from fastapi import FastAPI

    from careshift.adapters.hl7v2.listener import ListenerThread
    from careshift.adapters.store import SqlStore
    from careshift.domain.triggers import TriggerPolicy
    from careshift.service.bootstrap import Services
    from careshift.service.debounce import Debouncer
    from careshift.service.repositories import Clock, PlanningData
    from careshift.service.writeback import ShiftWriter
    from careshift.settings import Settings

DB_HELP = "Database URL (default: $CARESHIFT_DATABASE_URL or the SQLite file in the data directory)"
DEFAULT_UNITS = "4W,5E"


def _database_url(db: str | None) -> str:
    from careshift.settings import Settings

    return db or Settings().resolved_database_url()


@dataclass(frozen=True)
class EventDriven:
    """How ``serve`` turns input into repairs.

    ``follow``: poll the event log every ``poll_seconds`` and hand new events to the bus
    (its position is kept in the database, so a restart neither loses nor replays the log).
    ``mllp_port``: also receive HL7 v2 (ADT, SIU^S15 call-outs) in-process on
    ``mllp_host:mllp_port`` (0 picks a free port); ``None`` leaves it to ``careshift ingest``.
    ``policy``: the pack whose ``triggers:`` set the thresholds (built-in defaults when ``None``).
    """

    follow: bool = True
    mllp_port: int | None = None
    mllp_host: str = "127.0.0.1"
    timezone: str = "UTC"
    policy: str | None = None
    poll_seconds: float = 1.0


def build_api(
    db: str | None,
    units: tuple[str, ...] = (),
    *,
    time_limit: float = 10.0,
    start_ticker: bool = True,
    note: Callable[[str], None] | None = None,
    events_in: EventDriven | None = None,
    clock: Clock | None = None,
    debouncer: Debouncer | None = None,
    start: date | None = None,
) -> tuple[FastAPI, Services]:
    """The FastAPI app over ``db`` and its ``Services`` (close them when done).

    Signing keys: in development the locally generated pair (``careshift token`` mints
    with it); otherwise ``CARESHIFT_JWT_PUBLIC_KEY_FILE`` must name the issuer's public key.
    Planning reads the database (:func:`planning_source`): its imported units, narrowed to
    ``units`` when given, or the sample units (from ``start``, today by default) when it holds
    none; ``note`` hears which. ``events_in`` wires event-driven repair (default: follow the
    log, no MLLP); ``clock`` and ``debouncer`` are for tests.
    """
    from careshift.adapters.store import open_store
    from careshift.api.app import create_app
    from careshift.api.auth import development_keys
    from careshift.api.deps import ApiContext
    from careshift.domain.errors import ServiceUnavailableError
    from careshift.domain.time import zone
    from careshift.service.bootstrap import build_services, utc_now
    from careshift.settings import Settings

    settings = Settings()
    if settings.jwt_public_key_file is not None:
        public_pem = settings.jwt_public_key_file.read_bytes()
    elif settings.development:
        public_pem = development_keys(settings.data_dir).public_pem
    else:
        raise ServiceUnavailableError(
            "no token verification key: set CARESHIFT_JWT_PUBLIC_KEY_FILE to the issuer's public key "
            "(or CARESHIFT_ENVIRONMENT=development to use the locally generated development key)"
        )
    url = _database_url(db)
    now = clock or utc_now
    events = open_store(url)  # the event log: imported rosters and call-outs shape the live roster
    try:
        source = planning_source(events, units, clock=now, start=start)
    except BaseException:
        events.close()
        raise
    if note is not None:
        note(source.note)
    services = build_services(
        source.planning,
        database_url=url,
        time_limit=time_limit,
        clock=now,
        debouncer=debouncer,
        read_cache_seconds=settings.read_cache_seconds,
    )
    services.closers.insert(0, events.close)
    zones = {unit: zone(name) for unit, name in source.timezones.items()}
    try:
        wire_event_driven(services, events, events_in or EventDriven(), zones)
    except BaseException:
        services.close()
        raise
    if start_ticker:
        services.start_ticker()
    if settings.fhir_base_url:
        services.start_relay(fhir_writer(settings), every=settings.writeback_every_seconds)
    context = ApiContext(
        public_key_pem=public_pem,
        audit=services.audit,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        service=services.service,
        bus=services.bus,
        writes_on_loop=services.writes_on_loop,
        on_shutdown=[services.close],
    )
    return create_app(context), services


@dataclass(frozen=True)
class PlanningSource:
    """Where plans come from: the planning data, a line saying which for the operator, and
    each served unit's IANA timezone (for whatever reads unit clocks, such as triggers)."""

    planning: PlanningData
    note: str
    timezones: Mapping[str, str]


def planning_source(
    store: SqlStore, units: tuple[str, ...] = (), *, clock: Clock | None = None, start: date | None = None
) -> PlanningSource:
    """The database's imported units (:class:`~careshift.service.store_planning.StorePlanning`,
    narrowed to ``units``, with cover from each unit's latest stored census forecast when it
    covers the horizon), or, when it holds none, the sample units ``units`` (default 4W and
    5E) with a warning that says how to seed."""
    from careshift.adapters.store.decisions import SqlDecisionStore
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.domain.errors import DomainError
    from careshift.service.bootstrap import utc_now
    from careshift.service.census_forecasts import StoredCensusForecasts
    from careshift.service.projected import ProjectedPlanning
    from careshift.service.sample import sample_planning
    from careshift.service.store_planning import StorePlanning

    now = clock or utc_now
    reference = SqlReferenceData(store.engine)
    stored = {unit.id: unit.timezone for unit in reference.units()}
    if stored:
        unknown = [unit for unit in units if unit not in stored]
        if unknown:
            raise DomainError(f"--units names {', '.join(unknown)}, not in the database; it holds {', '.join(stored)}")
        runs = StoredCensusForecasts(SqlDecisionStore(store.url, migrate=False, engine=store.engine).reader)
        planning = StorePlanning(reference, store, now, only=units, forecasts=runs)
        served = planning.units()
        note = f"planning the database's units: {', '.join(served)}"
        return PlanningSource(planning, note, {unit: stored[unit] for unit in served})
    chosen = units or tuple(DEFAULT_UNITS.split(","))
    sample = sample_planning(chosen, start or now().date())
    note = (
        f"the database holds no units, so the SAMPLE units {', '.join(chosen)} are served; seed the synthetic "
        "hospital with `careshift demo --no-serve --db URL`, or import units with "
        "`careshift import csv FILE --kind units`"
    )
    zones = {unit: item.problem.horizon.timezone for unit, item in sample.inputs.items()}
    return PlanningSource(ProjectedPlanning(sample.inputs, store, sample.templates), note, zones)


def wire_event_driven(
    services: Services, events: SqlStore, config: EventDriven, zones: Mapping[str, tzinfo]
) -> ListenerThread | None:
    """Connect input to repairs: the demand watch on the bus, the event feed over the log
    and, when asked, the in-process MLLP listener (stopped before the store closes).
    Returns the listener (its ``port`` is the bound one)."""
    from careshift.adapters.store.stream_log import SqlFeedCursors
    from careshift.service.event_feed import EventFeed
    from careshift.service.triggers import DemandWatch

    bus = services.bus
    bus.watch = DemandWatch(events, trigger_policy(config.policy), zones)
    if config.follow:
        feed = EventFeed(
            events,
            bus.take,
            SqlFeedCursors(events.engine),
            services.service.clock,
            idle=lambda: not bus.debouncer.pending(),
        )
        services.start_feed(feed, every=config.poll_seconds)
    if config.mllp_port is None:
        return None
    listener = mllp_thread(events, config, services.service.clock)
    services.closers.append(listener.stop)
    services.mllp_port = listener.port
    return listener


def trigger_policy(ref: str | None) -> TriggerPolicy:
    """The ``triggers:`` thresholds of the pack ``ref`` (a file or bundled id), or the defaults."""
    from careshift.domain.triggers import TriggerPolicy
    from careshift.policy import load_pack

    return load_pack(ref).triggers if ref else TriggerPolicy()


def mllp_thread(events: SqlStore, config: EventDriven, clock: Clock) -> ListenerThread:
    """The MLLP listener on its own thread, appending to ``events`` (ACK after commit)."""
    from careshift.adapters.hl7v2.ingest import Hl7Ingestor
    from careshift.adapters.hl7v2.listener import ListenerThread, MllpListener
    from careshift.adapters.keyed_hash import KeyedHasher
    from careshift.domain.errors import ServiceUnavailableError
    from careshift.domain.time import zone

    ingestor = Hl7Ingestor(events, KeyedHasher.from_env(), default_zone=zone(config.timezone), clock=clock)
    listener = MllpListener(ingestor, host=config.mllp_host, port=config.mllp_port or 0)
    try:
        return ListenerThread(listener).start()
    except OSError as exc:
        raise ServiceUnavailableError(
            f"cannot listen for MLLP on {config.mllp_host}:{config.mllp_port} ({exc.strerror}); "
            "choose another --mllp-port"
        ) from exc


def fhir_writer(settings: Settings) -> Callable[[], AbstractAsyncContextManager[ShiftWriter]]:
    """Opens the FHIR writer of the write-back relay from settings (SMART auth when configured)."""
    from contextlib import asynccontextmanager

    import httpx

    from careshift.adapters.fhir.auth import ClientRegistration, SmartBackendAuth
    from careshift.adapters.fhir.client import FhirClient
    from careshift.adapters.fhir_writeback import FhirShiftWriter
    from careshift.domain.errors import ServiceUnavailableError

    auth: SmartBackendAuth | None = None
    if settings.fhir_client_id:
        if not settings.fhir_token_url or settings.fhir_private_key_file is None:
            raise ServiceUnavailableError(
                "CARESHIFT_FHIR_CLIENT_ID is set but CARESHIFT_FHIR_TOKEN_URL or CARESHIFT_FHIR_PRIVATE_KEY_FILE "
                "is not; set both to authenticate to the FHIR server"
            )
        registration = ClientRegistration(
            client_id=settings.fhir_client_id,
            token_url=settings.fhir_token_url,
            private_key_pem=settings.fhir_private_key_file.read_bytes(),
            algorithm=settings.fhir_algorithm,
            key_id=settings.fhir_key_id,
            scope=settings.fhir_scope,
        )
        auth = SmartBackendAuth(registration)
    base_url = settings.fhir_base_url or ""

    @asynccontextmanager
    async def open_writer() -> AsyncIterator[ShiftWriter]:
        async with httpx.AsyncClient(timeout=30) as http:
            yield FhirShiftWriter(FhirClient(base_url, http=http, auth=auth))

    return open_writer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    units: Annotated[
        str,
        typer.Option(
            help="Comma-separated unit ids to serve (default: every unit in the database; the sample 4W,5E when empty)"
        ),
    ] = "",
    time_limit: Annotated[float, typer.Option(help="Optimiser time limit per solve, seconds")] = 10.0,
    mllp_port: Annotated[
        int | None, typer.Option(help="Also receive HL7 v2 (ADT, SIU^S15 call-outs) over MLLP on this port")
    ] = None,
    mllp_host: Annotated[str, typer.Option(help="Interface the MLLP listener binds")] = "127.0.0.1",
    timezone: Annotated[str, typer.Option(help="IANA zone for HL7 timestamps without an offset")] = "UTC",
    follow_events: Annotated[
        bool, typer.Option(help="Repair after call-outs and demand triggers found in the event log")
    ] = True,
    policy: Annotated[
        str | None, typer.Option(help="Policy pack (file or bundled id) whose triggers: set the thresholds")
    ] = None,
) -> None:
    """Serve the decision API (OpenAPI at /docs) over an existing or new database."""
    import uvicorn

    chosen = tuple(u.strip() for u in units.split(",") if u.strip())
    config = EventDriven(follow_events, mllp_port, mllp_host, timezone, policy)
    app, services = build_api(
        db, chosen, time_limit=time_limit, events_in=config, note=lambda line: typer.echo(line, err=True)
    )
    typer.echo(f"careshift API on http://{host}:{port}/docs (database {_shown(_database_url(db))})")
    if services.mllp_port is not None:
        typer.echo(f"careshift mllp listening on {mllp_host}:{services.mllp_port}", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        services.close()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def token(
    scope: Annotated[list[str], typer.Option("--scope", help="A scope (repeat for several)")],
    unit: Annotated[list[str] | None, typer.Option("--unit", help="Limit to a unit (repeat for several)")] = None,
    subject: Annotated[str, typer.Option(help="Who the token speaks for")] = "dev-user",
    role: Annotated[str, typer.Option(help="The user's role, recorded with decisions")] = "scheduler",
    minutes: Annotated[int | None, typer.Option(help="Validity (default: CARESHIFT_TOKEN_MINUTES)")] = None,
) -> None:
    """Print a development bearer token (refused unless CARESHIFT_ENVIRONMENT=development)."""
    from careshift.api.auth import development_keys, mint
    from careshift.domain.errors import DomainError
    from careshift.service.bootstrap import utc_now
    from careshift.settings import Settings

    settings = Settings()
    if not settings.development:
        raise DomainError(
            f"careshift token only runs in development (CARESHIFT_ENVIRONMENT is {settings.environment!r}); "
            "production tokens come from your identity provider"
        )
    keys = development_keys(settings.data_dir)
    typer.echo(
        mint(
            keys,
            subject=subject,
            scopes=scope,
            now=utc_now(),
            role=role,
            units=unit or None,
            minutes=minutes or settings.token_minutes,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )


audit_app = typer.Typer(help="The audit chain: verify it has not been altered.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None) -> None:
    """Recompute every link of the audit chain; exit 1 naming the first altered entry."""
    from sqlalchemy import inspect

    from careshift.adapters.store.decisions import SqlAuditView, SqlDecisionStore
    from careshift.domain.errors import ServiceUnavailableError
    from careshift.telemetry.audit import verify

    url = _database_url(db)
    store = SqlDecisionStore(url, migrate=False)
    try:
        if not inspect(store.engine).has_table("audit_entry"):
            raise ServiceUnavailableError(f"{_shown(url)} has no audit chain; check --db / CARESHIFT_DATABASE_URL")
        report = verify(SqlAuditView(store).entries())
    finally:
        store.close()
    if report.ok:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    typer.echo(f"audit chain BROKEN at entry {report.broken_at}: {report.problem}", err=True)
    raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``serve``, ``token`` and ``audit verify`` to the root CLI."""
    root.command("serve")(serve)
    root.command("token")(token)
    root.add_typer(audit_app, name="audit")
