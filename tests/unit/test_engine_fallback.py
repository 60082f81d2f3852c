"""The greedy fallback: no solver, deterministic, marked as fallback, verified by the checker."""

from __future__ import annotations

from careshift.adapters.benchmarks.curtois import read_instance
from careshift.domain.checker import check
from careshift.engine.fallback import fallback, greedy_roster
from tests.conftest import shared_path
from tests.unit.test_engine_rules import CASES


def test_fallback_roster_keeps_the_hard_rules_and_is_marked() -> None:
    p = CASES["hard runs, no history (Curtois style)"]
    result = fallback(p)
    assert result.fallback and result.status == "FALLBACK"
    assert result.schedule is not None
    report = check(p, result.schedule)
    assert report.feasible
    assert result.objective == report.cost
    assert greedy_roster(p) == result.schedule  # deterministic


def test_fallback_on_curtois_instance2_passes_the_checker() -> None:
    problem = read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance2.txt"))
    result = fallback(problem)
    assert result.schedule is not None
    report = check(problem, result.schedule)
    assert report.feasible
    assert result.objective == report.cost == 2062
