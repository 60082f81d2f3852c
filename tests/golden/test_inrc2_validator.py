"""The checker against the official INRC-II validator and the organisers' sample solutions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from careshift.adapters.benchmarks import inrc2
from careshift.adapters.benchmarks.report import categorise
from careshift.cli import check as check_cli
from careshift.domain.checker import check
from tests.conftest import shared_path

SOLUTION = "Solution_H_0-WD_1-2-3-3"
EXPECTED = {
    "Total assignment constraints": 320,
    "Consecutive constraints": 465,
    "Non working days constraints": 330,
    "Preferences": 70,
    "Max working weekend": 210,
    "Complete weekends": 60,
    "Optimal coverage constraints": 240,
}


def validator_report(path: Path) -> tuple[dict[str, int], dict[str, int], int]:
    """(hard counts, cost per category, total) as printed by the official validator."""
    text = path.read_text(encoding="utf-8")
    hard_block = text.split("Hard constraint violations")[1].split("Cost per constraint type")[0]
    soft_block = text.split("Cost per constraint type")[1].split("Total cost")[0]
    pattern = re.compile(r"^([A-Za-z][A-Za-z ]+): (\d+)\s*$", re.MULTILINE)
    hard = {name: int(value) for name, value in pattern.findall(hard_block)}
    soft = {name: int(value) for name, value in pattern.findall(soft_block)}
    total = int(re.search(r"Total cost: (\d+)", text).group(1))  # type: ignore[union-attr]
    return hard, soft, total


def categories(problem_dir: Path, history: int, weeks: tuple[int, ...], solution: Path) -> tuple[dict[str, int], int]:
    problem = inrc2.read_instance(problem_dir, history, weeks)
    schedule = inrc2.read_solution(problem, solution, problem_dir.name, weeks)
    result = categorise(problem.name, check(problem, schedule), inrc2.HARD_CATEGORIES, inrc2.SOFT_CATEGORIES)
    return {**result.hard, **result.soft}, result.total


def test_checker_reproduces_the_official_validator_report() -> None:
    dataset = shared_path("benchmarks", "inrc2", "n005w4")
    hard, soft, total = validator_report(dataset / SOLUTION / "validator.txt")
    assert soft == EXPECTED and total == 1695  # the fixture says what the README says
    found, cost = categories(dataset, 0, (1, 2, 3, 3), dataset / SOLUTION)
    assert cost == 1695
    assert {name: found[name] for name in soft} == soft
    assert {name: found[name] for name in hard} == hard == dict.fromkeys(inrc2.HARD_CATEGORIES.values(), 0)


SAMPLES = [
    (dataset, folder)
    for dataset, folders in {
        "n005w4": ["Solution_H_0-WD_1-2-3-3", "Solution_H_1-WD_5-3-1-0", "Solution_H_2-WD_6-7-8-9"],
        "n012w8": [
            "Solution_H_0-WD_3-5-0-2-0-4-5-2",
            "Solution_H_1-WD_7-7-0-8-9-3-2-6",
            "Solution_H_2-WD_4-5-6-7-2-1-2-1",
        ],
        "n021w4": ["Solution_H_0-WD_5-4-1-2", "Solution_H_1-WD_0-6-1-6", "Solution_H_2-WD_8-1-4-3"],
    }.items()
    for folder in folders
]


@pytest.mark.parametrize(("dataset", "folder"), SAMPLES)
def test_every_sample_solution_meets_the_hard_constraints(dataset: str, folder: str) -> None:
    match = re.fullmatch(r"Solution_H_(\d+)-WD_([\d-]+)", folder)
    assert match is not None
    history, weeks = int(match[1]), inrc2.parse_weeks(match[2])
    root = shared_path("benchmarks", "inrc2", dataset)
    problem = inrc2.read_instance(root, history, weeks)
    schedule = inrc2.read_solution(problem, root / folder, dataset, weeks)
    report = check(problem, schedule)
    assert len(schedule) > 0
    assert report.hard_violations == ()
    assert report.cost > 0


def test_solution_files_round_trip(tmp_path: Path) -> None:
    root = shared_path("benchmarks", "inrc2", "n021w4")  # its files name the scenario n021w4_2
    weeks = (5, 4, 1, 2)
    problem = inrc2.read_instance(root, 0, weeks)
    schedule = inrc2.read_solution(problem, root / "Solution_H_0-WD_5-4-1-2", "n021w4", weeks)
    written = inrc2.write_solution(problem, schedule, tmp_path, "n021w4", weeks, scenario="n021w4_2")
    assert [path.name for path in written] == [f"Sol-n021w4-{w}-{i}.txt" for i, w in enumerate(weeks)]
    again = inrc2.read_solution(problem, tmp_path, "n021w4", weeks)
    assert again.assignments == schedule.assignments
    assert check(problem, again).cost == check(problem, schedule).cost == 2305


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keep `check` a subcommand even when it is the only one registered."""

    check_cli.register(app)
    return app


def test_cli_check_prints_the_validator_categories_and_total() -> None:
    dataset = shared_path("benchmarks", "inrc2", "n005w4")
    args = ["check", "--format", "inrc2", "--instance", str(dataset), "--history", "0", "--weeks", "1-2-3-3"]
    args += ["--solution", str(dataset / SOLUTION)]
    result = CliRunner().invoke(cli(), args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for name, cost in EXPECTED.items():
        assert re.search(rf"{name}\s*│\s*{cost} ", result.output), name
    assert re.search(r"Total cost\s*│\s*1695 ", result.output)
    as_json = CliRunner().invoke(cli(), [*args, "--json"])
    assert as_json.exit_code == 0
    payload = json.loads(as_json.output)
    assert payload["total_cost"] == 1695
    assert payload["cost_per_category"] == EXPECTED
    assert payload["feasible"] is True


def test_cli_check_names_the_missing_solution_file(tmp_path: Path) -> None:
    dataset = shared_path("benchmarks", "inrc2", "n005w4")
    args = ["check", "--format", "inrc2", "--instance", str(dataset), "--history", "0", "--weeks", "1-2-3-3"]
    result = CliRunner().invoke(cli(), [*args, "--solution", str(tmp_path)])
    assert result.exit_code != 0
    assert "Sol-n005w4-1-0.txt" in str(result.exception)
