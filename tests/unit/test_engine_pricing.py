"""The labelling pricing (``engine.pricing``): its optimum is CP-SAT's, what it says a line
costs is the checker's cost, with every border rule of history, and the column phase uses it
on INRC-II, where minimum cover is hard."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from careshift.adapters.benchmarks import curtois, inrc2
from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import AssignmentCount, ConsecutiveSameShift
from careshift.domain.schedule import Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import StaffHistory
from careshift.engine import SolveOptions, solve
from careshift.engine.columns import (
    HARD_WEIGHT,
    PRICING,
    SCALE,
    ColumnGeneration,
)
from careshift.engine.lines import LineSearch, separable
from careshift.engine.pricing import SequencePricer
from tests.conftest import shared_path


def _inrc2(history: int = 0, weeks: str = "1-2-3-3") -> RosterProblem:
    return inrc2.read_instance(shared_path("benchmarks", "inrc2", "n005w4"), history, weeks)


def _random_history(problem: RosterProblem, rng: random.Random) -> dict[str, StaffHistory]:
    """A history per nurse as INRC-II writes them (a work run or a run of days off open),
    with counters that reach past every bound, so each border rule is exercised."""
    shifts = [shift.id for shift in problem.shift_types]
    histories = {}
    for member in problem.staff:
        totals = StaffHistory(total_assignments=rng.randint(0, 30), total_working_weekends=rng.randint(0, 6))
        if rng.random() < 0.5:
            work = rng.randint(1, 8)
            histories[member.id] = dataclasses.replace(
                totals,
                last_shift=rng.choice(shifts),
                consecutive_same_shift=rng.randint(1, work),
                consecutive_work_days=work,
            )
        else:
            histories[member.id] = dataclasses.replace(totals, consecutive_days_off=rng.randint(0, 6))
    return histories


def _charges(search: LineSearch, rng: random.Random) -> dict[int, int]:
    """Scaled charges per cover line, both signs (an over row's multiplier is negative)."""
    return {index: rng.choice([0, 45_000, rng.randint(-60_000, 60_000)]) for index in range(len(search.cover_lines()))}


@pytest.mark.parametrize("seed", range(6))
def test_labelling_finds_the_cpsat_optimum_at_the_checkers_cost(seed: int) -> None:
    rng = random.Random(seed)
    problem = _inrc2()
    if seed:  # seed 0 keeps the instance's own history
        problem = dataclasses.replace(problem, history=_random_history(problem, rng))
    search = LineSearch(problem, workers=1)
    labelled = ColumnGeneration(search, threads=1)
    by_cpsat = ColumnGeneration(search, threads=1, parameters=dict(PRICING), labelling=False)
    charges = _charges(search, rng)
    for member in problem.staff:
        person = search.person(member)
        pricer = SequencePricer.of(person, scale=SCALE)
        assert pricer is not None, member.id
        charged = [-sum(charges.get(index, 0) for index in item[4]) for item in person.items]
        found = pricer.price(charged)
        assert found, member.id
        _lines, least = by_cpsat.price(member, charges, 30.0)
        assert least is not None  # proven
        assert found[0][2] == least, member.id
        for line, own, value in found:
            assert own == check(person.problem, Schedule.of(search.assignments(member, line))).cost
            assert value == SCALE * own + sum(charged[position] for position in line)
            assert value >= least
        assert labelled.price(member, charges, 30.0) == ([(line, own) for line, own, _ in found], least)
    assert labelled.stats.labelled == len(problem.staff)
    assert by_cpsat.stats.labelled == 0


def test_a_history_counter_past_its_maximum_is_charged_once_as_the_checker_does() -> None:
    problem = _inrc2()
    nurse = problem.staff[0]
    history = dict(problem.history or {})
    history[nurse.id] = StaffHistory(
        last_shift=problem.shift_types[0].id,
        consecutive_same_shift=9,
        consecutive_work_days=9,
        total_assignments=40,
        total_working_weekends=9,
    )
    problem = dataclasses.replace(problem, history=history)
    search = LineSearch(problem, workers=1)
    person = search.person(nurse)
    pricer = SequencePricer.of(person, scale=SCALE)
    assert pricer is not None
    # nothing charged by the cover: the cheapest line is the one the rules like best
    (line, own, value), *_others = pricer.price([0] * len(person.items))
    report = check(person.problem, Schedule.of(search.assignments(nurse, line)))
    assert own == report.cost and value == SCALE * own
    families = {finding.family for finding in report.violations}
    assert {"assignment_count", "max_working_weekends"} <= families  # history alone breaks them


def test_people_with_rules_the_labelling_does_not_model_stay_with_cpsat() -> None:
    curtois_problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    search = LineSearch(curtois_problem, workers=1)
    assert SequencePricer.of(search.person(curtois_problem.staff[0]), scale=SCALE) is None
    no_history = dataclasses.replace(_inrc2(), history=None)
    search = LineSearch(no_history, workers=1)
    assert SequencePricer.of(search.person(no_history.staff[0]), scale=SCALE) is None


def test_hard_minimum_cover_becomes_rows_of_the_master() -> None:
    problem = _inrc2()
    assert not separable(problem) and separable(problem, hard_cover=True)
    search = LineSearch(problem, workers=1)
    generation = ColumnGeneration(search, threads=1)
    floors = [index for index, (line, _rules) in enumerate(search.cover_lines()) if line.floor > 0]
    assert floors
    hard_terms = [term for term in generation._terms if term.weight == HARD_WEIGHT]
    assert sorted(term.line for term in hard_terms) == floors


def test_inrc2_solve_runs_the_column_phase_with_labelling_at_the_checkers_cost() -> None:
    problem = _inrc2()
    result = solve(problem, SolveOptions(time_limit=8, workers=2, seed=0))
    assert result.schedule is not None and result.objective is not None
    report = check(problem, result.schedule)
    assert report.feasible
    assert result.objective == report.cost
    search = dict(result.search)
    assert int(search["column_labelled"]) > 0
    assert int(search["column_rounds"]) > 0
    if search["column_bound"] != "–":
        assert float(search["column_bound"]) <= result.objective


def _cut(problem: RosterProblem, start: int, days: int) -> RosterProblem:
    """``problem`` over ``days`` days from its day ``start`` (cover and requests cut to match)."""
    first = problem.horizon.days[start]
    horizon = Horizon(first, days)
    return dataclasses.replace(
        problem,
        horizon=horizon,
        cover=tuple(line for line in problem.cover if line.day in horizon),
        requests=tuple(request for request in problem.requests if request.day in horizon),
    )


@pytest.mark.parametrize(("start", "days"), [(1, 3), (5, 1), (6, 1), (5, 4), (3, 9)])
def test_short_horizons_and_lone_weekend_days_cost_what_the_checker_says(start: int, days: int) -> None:
    # guards a bug: history's working weekends over the maximum were charged on a horizon
    # without a weekend (Tuesday to Thursday), where the checker charges nothing
    problem = _inrc2()
    histories = dict(problem.history or {})
    for member in problem.staff:
        histories[member.id] = dataclasses.replace(histories[member.id], total_working_weekends=5)
    problem = _cut(dataclasses.replace(problem, history=histories), start, days)
    search = LineSearch(problem, workers=1)
    rng = random.Random(start * 100 + days)
    for member in problem.staff:
        person = search.person(member)
        pricer = SequencePricer.of(person, scale=SCALE)
        assert pricer is not None
        for _ in range(5):
            charged = [rng.choice([-(10**9), 10**9]) for _item in person.items]  # forces a random line
            for line, own, _value in pricer.price(charged):
                assert own == check(person.problem, Schedule.of(search.assignments(member, line))).cost


def test_inverted_ranges_and_frozen_days_stay_with_cpsat() -> None:
    problem = _inrc2()
    member = problem.staff[0]
    inverted = dataclasses.replace(
        problem,
        rules=tuple(
            dataclasses.replace(rule, spec=AssignmentCount(minimum=10, maximum=5))
            if rule.family == "assignment_count"
            else rule
            for rule in problem.rules
        ),
    )
    assert SequencePricer.of(LineSearch(inverted, workers=1).person(member), scale=SCALE) is None
    frozen = dataclasses.replace(problem, reference=Schedule.of(()), frozen_days=frozenset({problem.horizon.days[0]}))
    assert SequencePricer.of(LineSearch(frozen, workers=1).person(member), scale=SCALE) is None


def test_a_hard_cover_target_is_not_a_master_row_so_the_phase_does_not_take_it() -> None:
    problem = _inrc2()
    rules = tuple(dataclasses.replace(rule, hard=rule.hard or rule.family == "cover_target") for rule in problem.rules)
    hard_target = dataclasses.replace(problem, rules=rules)
    assert separable(problem, hard_cover=True)
    assert not separable(hard_target, hard_cover=True)


def _with_early_maximum(maximum: int, carried: int) -> RosterProblem:
    """n005w4 with "at most ``maximum`` Early shifts in a row" and Andrea's history ending on
    ``carried`` Early shifts (her work run as long)."""
    problem = _inrc2()
    rules = tuple(
        dataclasses.replace(rule, spec=ConsecutiveSameShift(shift="Early", minimum=2, maximum=maximum))
        if rule.id == "S2a:Early"
        else rule
        for rule in problem.rules
    )
    history = dict(problem.history or {})
    history["Andrea"] = dataclasses.replace(
        history["Andrea"], last_shift="Early", consecutive_same_shift=carried, consecutive_work_days=carried
    )
    return dataclasses.replace(problem, rules=rules, history=history)


@pytest.mark.parametrize(("maximum", "carried"), [(28, 3), (29, 3), (30, 3), (28, 30), (29, 40)])
def test_a_same_shift_maximum_only_the_history_run_can_pass_is_charged_as_the_checker_does(
    maximum: int, carried: int
) -> None:
    # as INRC-II's "at most 56 Early shifts in a row" for a nurse who ended the history on
    # Early shifts: the states stop at the minimum and the run from history is a chain beside
    # them, so the optimum stays CP-SAT's even when the cover pays for Early every day
    problem = _with_early_maximum(maximum, carried)
    days = len(problem.horizon.days)
    andrea = next(member for member in problem.staff if member.id == "Andrea")
    search = LineSearch(problem, workers=1)
    person = search.person(andrea)
    pricer = SequencePricer.of(person, scale=SCALE)
    assert pricer is not None and pricer.history_run is not None  # the states do not count to the maximum
    by_cpsat = ColumnGeneration(search, threads=1, parameters=dict(PRICING), labelling=False)
    early = {index for index, (line, _rules) in enumerate(search.cover_lines()) if line.shift == "Early"}
    for pay in (0, 50_000, 200_000, 10**9):
        charges = {index: (pay if index in early else 0) for index in range(len(search.cover_lines()))}
        charged = [-sum(charges.get(index, 0) for index in item[4]) for item in person.items]
        found = pricer.price(charged)
        _lines, optimum = by_cpsat.price(andrea, charges, 30.0)
        assert optimum is not None
        assert found[0][2] == optimum, pay
        for line, own, value in found:
            report = check(person.problem, Schedule.of(search.assignments(andrea, line)))
            assert own == report.cost
            assert value == SCALE * own + sum(charged[position] for position in line)
        if pay == 10**9:  # Early every day: the run passes the maximum, charged per added day
            line = found[0][0]
            report = check(person.problem, Schedule.of(search.assignments(andrea, line)))
            assert len(line) == days
            past = sum(finding.amount for finding in report.violations if finding.family == "consecutive_same_shift")
            assert past == days - max(0, maximum - carried)


def test_smoothed_pricing_converges_to_the_lp_optimum_of_plain_pricing() -> None:
    # prices drawn towards the best bound's duals change the path, not the end: convergence
    # is only declared by a round at the LP's own duals that finds no line
    problem = _inrc2()
    first = solve(
        problem,
        SolveOptions(time_limit=10, workers=1, strategy="cpsat", parameters={"stop_after_first_solution": True}),
    )
    assert first.schedule is not None
    search = LineSearch(problem, workers=1)
    optimum: dict[float, float] = {}
    for smoothing in (0.0, 0.5, 0.9):
        generation = ColumnGeneration(search, threads=1, smoothing=smoothing)
        for member in problem.staff:
            generation.add(member, *search.line_of(member, first.schedule))
        stats = generation.generate(time.monotonic() + 60)
        assert stats.converged and stats.bound is not None and stats.lp_value is not None
        assert stats.lp_value - 1 <= stats.bound <= stats.lp_value + 1e-6
        # with smoothing, only a round at the LP's own duals after a mispricing can converge
        assert (stats.smoothed > 0) == (stats.mispriced > 0) == (smoothing > 0)
        optimum[smoothing] = stats.lp_value
    assert optimum[0.5] == pytest.approx(optimum[0.0], abs=1e-6)
    assert optimum[0.9] == pytest.approx(optimum[0.0], abs=1e-6)
