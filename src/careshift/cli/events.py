"""`careshift events` commands: let an operator verify a feed from the event store."""

from __future__ import annotations

from typing import Annotated

import typer


def stats(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: $CARESHIFT_DATABASE_URL or a SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Event counts by type, source and unit, plus quarantine counts by source and error code."""
    import dataclasses
    import json

    from careshift.adapters.store import default_url
    from careshift.adapters.store.database import open_existing

    url = db or default_url()
    store = open_existing(url)
    try:
        counts = store.counts()
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(counts), indent=2, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{counts.total} events ({counts.reversed} reversed) from {counts.messages} messages; "
        f"{counts.quarantined} quarantined"
    )
    for title, data in (
        ("events by type", counts.by_kind),
        ("events by source", counts.by_source),
        ("events by unit", counts.by_unit),
        ("quarantine by source", counts.quarantine_by_source),
        ("quarantine by error code", counts.quarantine_by_code),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column("key")
        table.add_column("count", justify="right")
        for key, value in sorted(data.items(), key=lambda item: (-item[1], item[0])):
            table.add_row(key, str(value))
        console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``careshift events ...`` to the root app."""
    group = typer.Typer(help="Inspect the event store.", no_args_is_help=True)
    group.command("stats")(stats)
    root.add_typer(group, name="events")
