"""`careshift bench curtois` on a folder of our own with its own best_known.csv."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from careshift.adapters.benchmarks import curtois
from careshift.cli import bench as bench_cli
from careshift.domain.checker import check
from careshift.domain.errors import BenchmarkFormatError
from tests.conftest import shared_path


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keep `bench` a subcommand even when it is the only one registered."""

    bench_cli.register(app)
    return app


def folder_with_instance1(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"), folder / "Instance1.txt")
    (folder / "best_known.csv").write_text("instance,site_lb_c2022,site_ub_c2022\nInstance1,600,607\n")
    return folder


def test_bench_solves_verifies_and_writes_the_roster(tmp_path: Path) -> None:
    folder = folder_with_instance1(tmp_path)
    out = tmp_path / "out"
    args = ["bench", "curtois", "--dir", str(folder), "--instances", "1", "--time-limit", "3"]
    result = CliRunner().invoke(cli(), [*args, "--workers", "2", "--out", str(out), "--json", "--no-doc"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout[result.stdout.index("[") :])
    assert [row["instance"] for row in rows] == ["Instance1"]
    row = rows[0]
    # the cost reached in 3 s depends on the machine; its agreement with the checker does not
    assert row["cost"] == row["checker_cost"] >= 607
    assert row["feasible"] is True
    assert (row["best_lb"], row["best_ub"]) == (600, 607)
    assert row["gap_pct"] == pytest.approx(100 * (row["cost"] - 607) / 607)
    problem = curtois.read_instance(folder / "Instance1.txt")
    roster = curtois.read_solution(problem, out / "Instance1.roster.txt")
    assert check(problem, roster).cost == row["cost"]


def test_bench_names_an_instance_that_is_not_listed(tmp_path: Path) -> None:
    folder = folder_with_instance1(tmp_path)
    with pytest.raises(BenchmarkFormatError, match="Instance9"):
        bench_cli.curtois_instances(folder, ["9"])
