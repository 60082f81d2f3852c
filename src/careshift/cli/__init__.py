"""The ``careshift`` command line. Each area registers its commands from its own module;
heavy libraries are imported inside the commands, never at start-up."""

from __future__ import annotations

import sys

import typer

from careshift.domain.errors import CareshiftError

app = typer.Typer(
    name="careshift",
    help="Staffing decision service for hospitals: check, plan, forecast, ingest, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Staffing decision service for hospitals: check, plan, forecast, ingest, serve."""


def _register() -> None:
    from careshift.cli import bench, check, csvimport, demo, events, forecast, ingest, policy, quality, serve

    for module in (policy, check, bench, forecast, ingest, csvimport, events, quality, serve, demo):
        module.register(app)


_register()


def main() -> None:
    """Entry point: run the app and turn any ``CareshiftError`` into one clear line and exit 2."""
    try:
        app()
    except CareshiftError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
