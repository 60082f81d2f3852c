"""`careshift check`: verify a benchmark solution with the independent checker.

::

    careshift check --format inrc2 --instance DIR --history 0 --weeks 1-2-3-3 --solution DIR
    careshift check --format curtois --instance Instance1.txt --solution roster.txt [--json]

Prints hard violations and the cost per category (INRC-II: the official validator's
category names), then the total. Exit status 0 when every hard rule holds, 1 otherwise,
2 for unreadable input (the error names the file and line).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from careshift.domain.errors import BenchmarkFormatError

if TYPE_CHECKING:
    from careshift.adapters.benchmarks.report import CategoryReport


class BenchmarkFormat(StrEnum):
    INRC2 = "inrc2"
    CURTOIS = "curtois"


def _print(result: CategoryReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    hard = Table(title=f"{result.instance}: hard constraint violations")
    hard.add_column("Constraint")
    hard.add_column("Violations", justify="right")
    for name, count in result.hard.items():
        hard.add_row(name, str(count), style="red" if count else None)
    console.print(hard)
    for detail in result.hard_details[:50]:
        console.print(f"  [red]✗[/red] {detail}", highlight=False)
    if len(result.hard_details) > 50:
        console.print(f"  … and {len(result.hard_details) - 50} more")
    soft = Table(title=f"{result.instance}: cost per constraint type")
    soft.add_column("Constraint")
    soft.add_column("Cost", justify="right")
    for name, cost in result.soft.items():
        soft.add_row(name, str(cost))
    soft.add_section()
    soft.add_row("Total cost", str(result.total), style="bold")
    console.print(soft)


def register(root: typer.Typer) -> None:
    """Add ``careshift check`` to the root app."""

    @root.command("check")
    def check_command(
        format_: Annotated[BenchmarkFormat, typer.Option("--format", help="Benchmark format of the files.")],
        instance: Annotated[
            Path, typer.Option(help="INRC-II dataset folder (Sc-, H0-, WD- files) or Curtois .txt instance.")
        ],
        solution: Annotated[Path, typer.Option(help="INRC-II folder of Sol-*.txt files, or a Curtois roster file.")],
        history: Annotated[str | None, typer.Option(help="INRC-II history: number (0) or H0 file.")] = None,
        weeks: Annotated[str | None, typer.Option(help="INRC-II week files in order, e.g. 1-2-3-3.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    ) -> None:
        """Check a benchmark solution: hard violations and cost per category, then the total."""
        from careshift.adapters.benchmarks.report import check_curtois, check_inrc2

        if format_ is BenchmarkFormat.INRC2:
            if history is None or weeks is None:
                raise BenchmarkFormatError("--format inrc2 needs --history (number or file) and --weeks (e.g. 1-2-3-3)")
            result = check_inrc2(instance, history, weeks, solution)
        else:
            result = check_curtois(instance, solution)
        if as_json:
            typer.echo(json.dumps(result.as_dict(), indent=2))
        else:
            _print(result)
        if not result.feasible:
            raise typer.Exit(1)
