"""`careshift ingest` commands: receive feeds into the event store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    """Receive HL7 v2 ADT over MLLP; acknowledge each message after it is committed.

    Patient and encounter ids are hashed with the key in $CARESHIFT_ID_HASH_KEY.
    """
    import asyncio
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


def register(root: typer.Typer) -> None:
    """Add ``careshift ingest ...`` to the root app."""
    group = typer.Typer(help="Receive feeds (HL7 v2 over MLLP) into the event store.", no_args_is_help=True)
    group.command("mllp")(mllp)
    root.add_typer(group, name="ingest")
