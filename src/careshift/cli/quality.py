"""`careshift quality`: the data-quality gate's report and verdict.

Exit codes: 0 ``ok``, 1 ``warn``, 3 ``block`` (2 stays the CLI's "could not run": bad
settings, store unavailable). Thresholds come from ``CARESHIFT_QUALITY_*`` (see
:mod:`careshift.service.quality_settings`).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def quality(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: $CARESHIFT_DATABASE_URL or a SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check the stored data (staff, roster, census) and print findings with fixes and a verdict.

    Exit code 0 ok, 1 warn, 3 block.
    """
    from datetime import UTC, datetime

    from sqlalchemy import inspect

    from careshift.adapters.store import default_url, upgrade
    from careshift.adapters.store.database import open_existing
    from careshift.adapters.store.imports import SqlReferenceData
    from careshift.service.quality import assess, load_snapshot
    from careshift.service.quality_settings import load_thresholds

    limits = load_thresholds()
    now = datetime.now(UTC)
    url = db or default_url()
    store = open_existing(url)  # never creates a database: an empty new one would look "ok"
    try:
        if not inspect(store.engine).has_table("staff_record"):
            upgrade(url, store.engine)  # a store made before the CSV reference tables existed
        snapshot = load_snapshot(store, SqlReferenceData(store.engine), now, limits)
    finally:
        store.close()
    report = assess(snapshot, now, limits)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        checked = ", ".join(f"{count} {what}" for what, count in report.checked.items())
        typer.echo(f"checked {checked} at {report.checked_at.isoformat()}")
        for finding in report.findings:
            typer.echo(f"[{finding.severity.value}] {finding.check}: {finding.record}: {finding.reason}")
            typer.echo(f"    fix: {finding.fix}")
        blocks = sum(f.severity.value == "block" for f in report.findings)
        warnings = len(report.findings) - blocks
        why = ""
        if report.verdict.value == "block" and blocks == 0:
            why = (
                f"; {warnings} warnings reach the escalation limit of {limits.escalate_warnings} "
                "(CARESHIFT_QUALITY_ESCALATE_WARNINGS)"
            )
        typer.echo(f"verdict: {report.verdict.value} ({blocks} blocking, {warnings} warning(s){why})")
    raise typer.Exit(report.verdict.exit_code)


def register(root: typer.Typer) -> None:
    """Add ``careshift quality`` to the root app."""
    root.command("quality")(quality)
