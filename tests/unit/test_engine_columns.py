"""The column phase (``engine.columns``): its bound never passes the optimum, its rosters
meet the hard rules at the checker's cost, and the solver's reported objective stays the
checker's cost when the phase runs."""

from __future__ import annotations

import random
import time

from careshift.adapters.benchmarks import curtois
from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Schedule
from careshift.engine import SolveOptions, build_model, solve
from careshift.engine.columns import SCALE, ColumnGeneration, Shares, complete, improve_by_columns
from careshift.engine.lines import LineSearch
from careshift.engine.lns import Incumbent, _Hotspots, _neighbourhood
from careshift.engine.model import EngineModel
from careshift.engine.solve import extract_schedule
from tests.conftest import shared_path
from tests.unit.test_engine_lines import WARD


def _generation(problem: RosterProblem) -> tuple[LineSearch, ColumnGeneration]:
    search = LineSearch(problem, workers=1)
    assert search.first(time.monotonic() + 60, grace=0.0)
    generation = ColumnGeneration(search, threads=1)
    start = search.schedule()
    for member in search.problem.staff:
        line, own = search.line_of(member, start)
        generation.add(member, line, own)
    return search, generation


def _line_by_line_start() -> tuple[EngineModel, Incumbent]:
    """The whole model of ``WARD`` and, as its incumbent, the roster built line by line."""
    m = build_model(WARD)
    search = LineSearch(WARD, workers=1)
    assert search.first(time.monotonic() + 60, grace=0.0)
    start = search.schedule()
    worked = {(a.staff, WARD.horizon.index(a.day), a.shift, a.skill) for a in start}
    incumbent = complete(m, worked, time.monotonic())
    assert incumbent is not None and incumbent.objective == check(WARD, start).cost
    return m, incumbent


def test_the_bound_is_below_the_optimum_and_the_dive_gives_a_checked_roster() -> None:
    optimum = solve(WARD, SolveOptions(time_limit=60, workers=1, strategy="cpsat"))
    assert optimum.status == "OPTIMAL" and optimum.objective is not None
    search, generation = _generation(WARD)
    stats = generation.generate(time.monotonic() + 60)
    assert stats.converged and stats.bound is not None
    assert stats.bound <= optimum.objective + 1e-6
    assert stats.lp_value is not None and stats.bound <= stats.lp_value + 1e-6
    roster = generation.dive(time.monotonic() + 60)
    assert roster is not None and set(roster) == {"A", "B", "C"}
    schedule = Schedule.of(a for member in WARD.staff for a in search.assignments(member, roster[member.id]))
    report = check(WARD, schedule)
    assert report.feasible and report.cost >= optimum.objective


def test_a_line_already_held_is_not_added_twice() -> None:
    search, generation = _generation(WARD)
    member = WARD.staff[0]
    line, own = search.line_of(member, search.schedule())
    assert not generation.add(member, line, own)
    assert len(generation.columns[member.id]) == 1


def test_instance1_bound_stays_below_the_proven_optimum() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    _search, generation = _generation(problem)
    stats = generation.generate(time.monotonic() + 120)
    assert stats.converged and stats.bound is not None
    assert stats.bound <= 607  # proven optimum (Curtois & Qu)


def test_the_phase_hands_on_a_roster_at_the_checkers_cost_and_a_bound_below_it() -> None:
    m, incumbent = _line_by_line_start()
    now = time.monotonic()
    phase = improve_by_columns(
        m, incumbent, Shares(now + 60, 30, now + 100, now + 120, now + 150), seed=0, workers=2, started=now
    )
    assert phase.bound is not None and phase.guide is not None
    assert phase.incumbent.objective <= incumbent.objective
    schedule = extract_schedule(m, lambda var: phase.incumbent.values[var.index], "test")
    report = check(WARD, schedule)
    assert report.feasible and report.cost == phase.incumbent.objective >= phase.bound


def test_the_phase_with_the_exact_master_hands_on_the_proven_optimum() -> None:
    optimum = solve(WARD, SolveOptions(time_limit=60, workers=1, strategy="cpsat"))
    assert optimum.status == "OPTIMAL" and optimum.objective is not None
    m, incumbent = _line_by_line_start()
    assert incumbent.objective > optimum.objective  # something left for the phase to find
    now = time.monotonic()
    shares = Shares(now + 60, 30, now + 100, now + 120, now + 150, exact=now + 90, exact_each=30)
    phase = improve_by_columns(m, incumbent, shares, seed=0, workers=2, started=now)
    assert phase.stats.exact and phase.stats.exact[-1].split(":")[1].startswith("OPTIMAL")
    assert phase.incumbent.objective == phase.bound == optimum.objective
    schedule = extract_schedule(m, lambda var: phase.incumbent.values[var.index], "test")
    report = check(WARD, schedule)
    assert report.feasible and report.cost == optimum.objective


def test_solve_with_the_column_phase_reports_the_checkers_cost() -> None:
    result = solve(WARD, SolveOptions(time_limit=4, workers=2, columns=True))
    assert result.schedule is not None
    report = check(WARD, result.schedule)
    assert report.feasible and result.objective == report.cost
    assert result.best_bound <= report.cost
    assert dict(result.parameters)["columns"] == "True"


def test_the_result_says_what_the_column_phase_and_the_lns_did() -> None:
    # CP-SAT stops at its first roster, so the phase and the LNS run
    options = SolveOptions(time_limit=4, workers=2, columns=True, parameters={"stop_after_first_solution": True})
    result = solve(WARD, options)
    assert result.schedule is not None and result.objective == check(WARD, result.schedule).cost
    search = dict(result.search)
    assert int(search["column_rounds"]) >= 1 and search["column_converged"] in ("True", "False")
    assert int(search["lns_steps"]) >= int(search["lns_improved"]) >= 0


def test_guided_neighbourhoods_free_only_the_days_the_guide_doubts() -> None:
    m = build_model(WARD)
    doubted = {("A", 2), ("B", 5)}

    def unsure(staff: str) -> set[int]:
        return {d for s, d in doubted if s == staff}

    free = _neighbourhood(m, random.Random(0), "guided", 1.0, _Hotspots({}, {}), unsure)
    assert free and free <= doubted


def test_the_certificate_proves_its_bound_from_integer_multipliers() -> None:
    optimum = solve(WARD, SolveOptions(time_limit=60, workers=1, strategy="cpsat"))
    assert optimum.status == "OPTIMAL" and optimum.objective is not None
    search, generation = _generation(WARD)
    stats = generation.generate(time.monotonic() + 60)
    certificate = generation.certificate
    assert certificate is not None and stats.bound == certificate.bound
    assert certificate.bound == certificate.total / SCALE <= optimum.objective
    assert set(certificate.least) == {member.id for member in WARD.staff}
    assert all(isinstance(q, int) for q in certificate.multipliers)


def test_a_phase_whose_generation_did_not_converge_still_guides_the_search() -> None:
    # Instance19's generation does not converge in its share: the LP over the columns so
    # far still gives the guide and the fixed-by-LP roster; no dive, no unproven bound
    m, incumbent = _line_by_line_start()
    now = time.monotonic()
    phase = improve_by_columns(m, incumbent, Shares(now, 5, now, now, now), seed=0, workers=1, started=now)
    assert not phase.stats.converged and phase.stats.iterations == 0
    assert phase.bound is None and phase.guide
    schedule = extract_schedule(m, lambda var: phase.incumbent.values[var.index], "test")
    report = check(WARD, schedule)
    assert report.feasible and report.cost == phase.incumbent.objective <= incumbent.objective
