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
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from careshift.domain.checker import CheckReport
from careshift.domain.errors import BenchmarkFormatError


class BenchmarkFormat(StrEnum):
    INRC2 = "inrc2"
    CURTOIS = "curtois"


@dataclass(frozen=True)
class CategoryReport:
    """A check report grouped the way a benchmark's own validator reports it."""

    instance: str
    hard: dict[str, int]
    soft: dict[str, int]
    total: int
    hard_details: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not any(self.hard.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "feasible": self.feasible,
            "hard_violations": self.hard,
            "cost_per_category": self.soft,
            "total_cost": self.total,
            "hard_violation_details": list(self.hard_details),
        }


def categorise(
    instance: str,
    report: CheckReport,
    hard_names: dict[str, str],
    soft_names: dict[str, str],
) -> CategoryReport:
    """Group ``report`` by category: families mapped by ``hard_names``/``soft_names``; a
    family missing from the maps is shown under its own name. Every mapped category is
    listed, with 0 when nothing was found."""
    hard: Counter[str] = Counter(dict.fromkeys(hard_names.values(), 0))
    soft: Counter[str] = Counter(dict.fromkeys(soft_names.values(), 0))
    for violation in report.violations:
        if violation.hard:
            hard[hard_names.get(violation.family, violation.family)] += violation.amount
        else:
            soft[soft_names.get(violation.family, violation.family)] += violation.penalty
    details = tuple(f"{v.rule_id}: {v.reason}" for v in report.hard_violations)
    return CategoryReport(instance, dict(hard), dict(soft), report.cost, details)


def _check_inrc2(instance: Path, history: str | None, weeks: str | None, solution: Path) -> CategoryReport:
    from careshift.adapters.benchmarks import inrc2
    from careshift.domain.checker import check

    if history is None or weeks is None:
        raise BenchmarkFormatError("--format inrc2 needs --history (number or file) and --weeks (e.g. 1-2-3-3)")
    week_numbers = inrc2.parse_weeks(weeks)
    problem = inrc2.read_instance(instance, history, week_numbers)
    schedule = inrc2.read_solution(problem, solution, inrc2.dataset_of(instance), week_numbers)
    return categorise(problem.name, check(problem, schedule), inrc2.HARD_CATEGORIES, inrc2.SOFT_CATEGORIES)


def _check_curtois(instance: Path, solution: Path) -> CategoryReport:
    from careshift.adapters.benchmarks import curtois
    from careshift.domain.checker import check
    from careshift.domain.rules import CATALOGUE

    problem = curtois.read_instance(instance)
    schedule = curtois.read_solution(problem, solution)
    hard = {rule.family: CATALOGUE[rule.family].title for rule in problem.rules if rule.hard}
    soft = {rule.family: CATALOGUE[rule.family].title for rule in problem.rules if not rule.hard}
    return categorise(problem.name, check(problem, schedule), hard, soft)


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
        if format_ is BenchmarkFormat.INRC2:
            result = _check_inrc2(instance, history, weeks, solution)
        else:
            result = _check_curtois(instance, solution)
        if as_json:
            typer.echo(json.dumps(result.as_dict(), indent=2))
        else:
            _print(result)
        if not result.feasible:
            raise typer.Exit(1)
