"""What the neighbourhood search reports about its steps."""

from __future__ import annotations

import time

import pytest
from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.engine import SolveOptions, solve
from careshift.engine.build import build_model
from careshift.engine.lns import KINDS, Incumbent, improve
from careshift.engine.result import SolveResult
from careshift.engine.solve import hint_schedule
from tests.unit.test_engine_lines import WARD


@pytest.fixture(scope="module")
def cpsat_roster() -> SolveResult:
    """CP-SAT's roster of the ward, the warm start of the tests below."""
    found = solve(WARD, SolveOptions(time_limit=2, workers=2, columns=False, strategy="cpsat"))
    assert found.schedule is not None
    return found


def test_the_result_names_each_kinds_steps_and_improvements() -> None:
    # CP-SAT stops at its first roster (in its half of the time), so the LNS runs
    stop = {"stop_after_first_solution": True}
    result = solve(WARD, SolveOptions(time_limit=4, workers=2, lns_start=0.5, columns=False, parameters=stop))
    assert result.schedule is not None and result.objective == check(WARD, result.schedule).cost
    search = dict(result.search)
    counts = [entry.split(":") for entry in search["lns_by_kind"].split(",") if entry]
    assert counts and {kind for kind, _ in counts} <= set(KINDS)
    improved = sum(int(share.split("/")[0]) for _, share in counts)
    steps = sum(int(share.split("/")[1]) for _, share in counts)
    assert improved == int(search["lns_improved"]) and steps == int(search["lns_steps"])
    # the ward's neighbourhoods are small: some steps solve theirs to optimality, and only
    # steps that found a roster are counted
    assert 0 < int(search["lns_closed"]) <= steps


def test_the_search_from_a_hinted_roster_solves_its_neighbourhoods(cpsat_roster: SolveResult) -> None:
    # guards a bug: the hint of a warm start stayed in the model each neighbourhood is
    # cloned from, the step's own hint was appended to it, and CP-SAT rejected every step
    # as an invalid model (2580 steps, none improving, on INRC-II n040w8_0 in parts)
    m = build_model(WARD)
    hint_schedule(m, cpsat_roster.schedule)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True
    assert solver.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    incumbent = Incumbent(list(solver.response_proto.solution), solver.objective_value, 0.0)
    _found, stats = improve(m, incumbent, time.monotonic() + 2, seed=0, workers=2, started=time.monotonic())
    assert stats.steps > 0
    assert stats.closed > 0  # neighbourhoods solved to optimality, not rejected


def test_a_warm_start_is_never_lost_when_cpsat_has_no_time_for_a_roster(cpsat_roster: SolveResult) -> None:
    first = cpsat_roster
    assert first.objective is not None
    # no time for CP-SAT's own first roster: the search must start from the hint itself
    stop = {"stop_after_presolve": True}
    result = solve(
        WARD,
        SolveOptions(time_limit=2, workers=2, columns=False, hint=first.schedule, lns_start=0.0, parameters=stop),
    )
    assert result.schedule is not None and result.objective is not None
    assert result.objective <= first.objective
    assert result.objective == check(WARD, result.schedule).cost
    assert "hinted" in dict(result.search)
