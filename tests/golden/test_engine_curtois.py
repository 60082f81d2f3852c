"""Curtois & Qu Instance1 (proven optimum 607) solved by the engine and verified by the checker."""

from __future__ import annotations

from careshift.adapters.benchmarks.curtois import read_instance
from careshift.domain.checker import check
from careshift.engine import SolveOptions, solve
from tests.conftest import shared_path


def test_instance1_reaches_the_proven_optimum_and_the_checker_agrees() -> None:
    problem = read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    # plain CP-SAT proves this one optimal in about a second; the limit is only a safety net
    result = solve(problem, SolveOptions(time_limit=60, workers=2, seed=0, strategy="cpsat"))
    assert result.status == "OPTIMAL"
    assert result.schedule is not None
    report = check(problem, result.schedule)
    assert report.feasible
    assert result.objective == report.cost == 607
    assert result.cost_by_rule() == report.cost_by_rule()
