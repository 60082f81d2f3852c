"""`careshift import csv`: import a units, staff, roster, census or call-out CSV file.

Exit codes: 0 every row imported or already present; 1 some rows were quarantined (the
reasons are printed); 2 the file as a whole was refused (no header, unknown columns or
contract version) or the store is unavailable.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from careshift.adapters.csv.schema import FileKind


def import_csv_command(
    file: Annotated[Path, typer.Argument(help="The CSV file; its name becomes the event source csv:<name>")],
    kind: Annotated[FileKind, typer.Option("--kind", help="What the file holds", case_sensitive=False)],
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: $CARESHIFT_DATABASE_URL or a SQLite file)")
    ] = None,
    contract: Annotated[
        str | None,
        typer.Option(
            "--contract", help="Contract version when the file's '# contract: kind/N' header does not say (default 1)"
        ),
    ] = None,
    horizon_start: Annotated[
        str | None, typer.Option("--horizon-start", help="First day dates may fall on (YYYY-MM-DD)")
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option("--horizon-days", min=1, help="Days in the horizon from --horizon-start")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON")] = False,
) -> None:
    """Import FILE as --kind: good rows are stored, bad rows quarantined with line, reason and fix.

    Importing the same file again changes nothing. Without --horizon-start the horizon is a
    window around today that suits the kind (e.g. census: the last 60 days).
    """
    from datetime import UTC, datetime

    from careshift.adapters.csv.importer import import_csv_file
    from careshift.adapters.store import open_store
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.domain.errors import InputError
    from careshift.domain.time import Horizon

    horizon = None
    if horizon_start is not None or horizon_days is not None:
        try:
            start = date.fromisoformat(horizon_start) if horizon_start else datetime.now(UTC).date()
        except ValueError as exc:
            raise InputError(f"--horizon-start {horizon_start!r} is not a date; write YYYY-MM-DD") from exc
        horizon = Horizon(start, horizon_days or 366)
    store = open_store(db)
    try:
        outcome = import_csv_file(
            file, kind, store, SqlReferenceData(store.engine), now=datetime.now(UTC), version=contract, horizon=horizon
        )
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(
            f"{outcome.file} ({outcome.contract}): {outcome.rows} rows: {outcome.imported} imported, "
            f"{outcome.skipped} skipped, {len(outcome.quarantined)} quarantined"
        )
        if outcome.already_imported is not None:
            typer.echo(f"already imported at {outcome.already_imported.imported_at.isoformat()}: nothing changed")
        for row in outcome.quarantined:
            typer.echo(f"  {row.location}: {row.reason}")
    if outcome.quarantined:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``careshift import csv`` to the root app."""
    group = typer.Typer(help="Import batch files (CSV) into the store.", no_args_is_help=True)
    group.command("csv")(import_csv_command)
    root.add_typer(group, name="import")
