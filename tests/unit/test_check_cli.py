"""`careshift check --format curtois`: tables, JSON, exit status, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from careshift.adapters.benchmarks import curtois
from careshift.cli import check as check_cli
from careshift.domain.checker import check
from careshift.domain.errors import BenchmarkFormatError
from careshift.domain.schedule import Assignment, Schedule
from tests.conftest import shared_path


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keep `check` a subcommand even when it is the only one registered."""

    check_cli.register(app)
    return app


def test_cli_check_curtois_reports_hard_violations_and_cost(tmp_path: Path) -> None:
    instance = shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt")
    problem = curtois.read_instance(instance)
    # Everyone works every day: breaks max consecutive days, minutes, weekends, days off.
    schedule = Schedule.of(Assignment(m.id, day, "D") for m in problem.staff for day in problem.horizon.days)
    roster = tmp_path / "roster.txt"
    curtois.write_solution(problem, schedule, roster)
    report = check(problem, schedule)
    args = ["check", "--format", "curtois", "--instance", str(instance), "--solution", str(roster)]

    result = CliRunner().invoke(cli(), [*args, "--json"])
    assert result.exit_code == 1  # infeasible
    payload = json.loads(result.output)
    assert payload["total_cost"] == report.cost
    assert payload["feasible"] is False
    assert sum(payload["hard_violations"].values()) == sum(v.amount for v in report.hard_violations)
    assert payload["hard_violations"]["Fixed days off and leave"] == 8
    # 8 × 14 people on shift against 71 required in all: 41 over at weight 1; the off requests weigh 11.
    assert payload["cost_per_category"] == {"Shift requests": 11, "Optimal cover": 8 * 14 - 71}

    table = CliRunner().invoke(cli(), args, env={"COLUMNS": "200"})
    assert table.exit_code == 1
    assert "Consecutive working days" in table.output and f"{report.cost}" in table.output
    assert "days_off: A on 2024-01-01: works D on a day off" in table.output


def test_cli_check_curtois_bad_roster_names_file_and_line(tmp_path: Path) -> None:
    instance = shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt")
    roster = tmp_path / "roster.txt"
    roster.write_text("A" + ",D" * 14 + "\nB,D\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli(), ["check", "--format", "curtois", "--instance", str(instance), "--solution", str(roster)]
    )
    assert isinstance(result.exception, BenchmarkFormatError)
    assert result.exception.source == str(roster) and result.exception.location == "line 2"


def test_cli_check_inrc2_needs_history_and_weeks(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli(), ["check", "--format", "inrc2", "--instance", str(tmp_path), "--solution", str(tmp_path)]
    )
    assert isinstance(result.exception, BenchmarkFormatError)
    assert "--history" in str(result.exception)
