"""Every line within a budget (``engine.budget``) and the exact master over them: the listing
agrees with CP-SAT's own enumeration of a person's model on random rules, and the master finds
the optimum and proves the ceilings below it empty."""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from ortools.sat.python import cp_model

from careshift.adapters.benchmarks import curtois
from careshift.domain.checker import check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverTarget,
    DaysOffRespected,
    MaxWorkingWeekends,
    Rule,
    ShiftRequests,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.rules.base import Scope
from careshift.domain.rules.rest import ForbiddenSuccessions
from careshift.domain.schedule import Schedule
from careshift.domain.workforce import ShiftType, Staff
from careshift.engine import SolveOptions, budget, solve
from careshift.engine.budget import BudgetLines, TooManyLines
from careshift.engine.columns import SCALE, ColumnGeneration
from careshift.engine.lines import LineSearch
from tests.conftest import shared_path
from tests.unit.test_engine_lines import WARD
from tests.unit.test_engine_rules import tiny


def _random_person(seed: int, days: int | None = None) -> tuple[LineSearch, BudgetLines, list[int]]:
    """One of two people under random Curtois-like hard rules, some scoped to the other's
    contract only (the listing must skip those as the checker does), and random cover
    charges per item."""
    rng = random.Random(seed)
    lengths = rng.choice([(480, 480, 480), (480, 600, 720), (360, 480, 600)])
    names = "EDL"[: rng.choice([2, 3])]
    shifts = tuple(
        ShiftType(
            name,
            lengths[s],
            forbidden_next=frozenset(other for other in names[:s] if rng.random() < 0.7),
        )
        for s, name in enumerate(names)
    )
    days = days or rng.randint(8, 12)
    start = date(2024, 1, 1) + timedelta(days=rng.randrange(7))  # weekends fall anywhere, day 0 too
    low_run, high_run = rng.choice([(1, 3), (2, 4), (2, 5), (3, 4)])
    fewest = rng.choice([None, 1])
    mine, other = Scope(contracts=frozenset({"default"})), Scope(contracts=frozenset({"other"}))
    rules = [
        Rule("successions", ForbiddenSuccessions()),
        Rule("run", ConsecutiveWorkingDays(minimum=low_run, maximum=high_run), scope=mine),
        Rule("off", ConsecutiveDaysOff(minimum=rng.choice([1, 2, 3]), maximum=rng.choice([None, 4]))),
        Rule("weekends", MaxWorkingWeekends(maximum=rng.choice([0, 1, 2]))),
        Rule(
            "count", ShiftTypeCount(shift=names[-1], minimum=fewest, maximum=rng.choice([2, 3] if fewest else [0, 2]))
        ),
        Rule("minutes", WorkedMinutes(minimum=rng.choice([0, 1440, 2400]), maximum=rng.choice([2880, 3600]))),
        Rule("requests", ShiftRequests(), hard=False, weight=rng.choice([1, 2])),
        Rule("cover", CoverTarget(), hard=False, weight=1),
        # the other contract's own rules: a day off fixed, short runs, requests weighing more
        Rule("leave", DaysOffRespected(), scope=other),
        Rule("short_runs", ConsecutiveWorkingDays(maximum=2), scope=other),
        Rule("their_requests", ShiftRequests(), hard=False, weight=5, scope=other),
    ]
    when = [start + timedelta(days=d) for d in range(days)]
    staff = (Staff("A"), Staff("B", contract_id="other"))
    requests = tuple(
        Request(
            member.id, rng.choice(when), rng.choice([None, *names]), on=rng.random() < 0.5, weight=rng.randint(1, 3)
        )
        for member in staff
        for _ in range(3)
    )
    problem = tiny(
        *rules,
        start=start,
        days=days,
        staff=staff,
        shifts=shifts,
        cover=tuple(ShiftCover(d, name, 0, 1, 1, weight_under=5, weight_over=2) for d in when for name in names),
        requests=requests,
        days_off={member.id: frozenset({rng.choice(when)}) for member in staff},
    )
    search = LineSearch(problem, workers=1)
    person = search.person(staff[seed % 2])
    lister = BudgetLines.of(person)
    assert lister is not None
    charged = [rng.randint(-6000, 6000) for _ in person.items]
    return search, lister, charged


def _enumerated(search: LineSearch, lister: BudgetLines, charged: list[int], ceiling: int | None) -> set:
    """CP-SAT's own enumeration of the person's lines whose value is at most ``ceiling``."""
    person = lister.person
    model = person.m.model.clone()
    variables = [model.get_bool_var_from_proto_index(item[0].index) for item in person.items]
    value = cp_model.LinearExpr.weighted_sum([person.base, *variables], [SCALE, *charged])
    if ceiling is not None:
        model.add(value <= ceiling)
    model.clear_objective()  # type: ignore[no-untyped-call]
    found: set[tuple[int, ...]] = set()

    class Collect(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            found.add(tuple(p for p, var in enumerate(variables) if self.value(var)))

    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.num_workers = 1
    solver.solve(model, Collect())
    return found


@pytest.mark.parametrize("seed", range(24))
def test_the_lines_within_a_budget_are_exactly_cp_sats_and_priced_as_the_checker(seed: int) -> None:
    search, lister, charged = _random_person(seed)
    person = lister.person
    table = lister.costs(charged, SCALE)
    everything = _enumerated(search, lister, charged, None)
    least = lister.least(table)
    if not everything:
        assert least is None
        return
    values = {line: SCALE * search._own_cost(person, line) + sum(charged[p] for p in line) for line in everything}
    assert least == min(values.values())
    budget = sorted(values.values())[len(values) // 3] - least  # about a third of the lines
    lowest, lines = lister.lines(table, budget, limit=len(values) + 1)
    assert lowest == least
    assert {line for line, _value in lines} == {line for line, value in values.items() if value <= least + budget}
    assert all(value == values[line] for line, value in lines)
    assert [value for _line, value in lines] == sorted(value for _line, value in lines)


@pytest.mark.parametrize("seed", range(4))
def test_every_line_the_checker_accepts_is_listed_at_its_price(seed: int) -> None:
    # all 3^6 or 4^6 ways to fill six days, each judged by the checker alone
    search, lister, charged = _random_person(seed, days=6)
    person = lister.person
    by_day: dict[int, list[int]] = {}
    for position, item in enumerate(person.items):
        by_day.setdefault(item[1], []).append(position)
    accepted = {}
    for choice in itertools.product(*([None, *by_day.get(d, [])] for d in range(6))):
        line = tuple(position for position in choice if position is not None)
        try:
            own = search._own_cost(person, line)
        except InfeasibleError:
            continue
        accepted[line] = SCALE * own + sum(charged[p] for p in line)
    lowest, lines = lister.lines(lister.costs(charged, SCALE), 10**9, limit=10**6)
    assert dict(lines) == accepted
    assert lowest == (min(accepted.values()) if accepted else None)


def test_more_lines_than_the_limit_stop_the_listing() -> None:
    search, lister, charged = _random_person(0)
    table = lister.costs(charged, SCALE)
    least, lines = lister.lines(table, 10**9, limit=10**6)
    assert len(lines) > 2
    with pytest.raises(TooManyLines):
        lister.lines(table, 10**9, limit=len(lines) - 1)
    assert least == lister.least(table)


def test_a_rule_the_listing_does_not_model_leaves_the_person_out() -> None:
    soft_runs = replace(WARD, rules=(*WARD.rules, Rule("soft_run", ConsecutiveWorkingDays(maximum=2), hard=False)))
    search = LineSearch(soft_runs, workers=1)
    assert BudgetLines.of(search.person(soft_runs.staff[0])) is None
    assert BudgetLines.of(LineSearch(WARD, workers=1).person(WARD.staff[0])) is not None


def test_only_reached_states_are_laid_out_and_a_person_past_the_limit_is_left_out() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance8.txt"))
    person = LineSearch(problem, workers=1).person(problem.staff[0])
    lister = BudgetLines.of(person)
    assert lister is not None
    # far fewer states on some line than the product of the components, every day
    assert lister.reached < math.prod(lister.shape) * lister.horizon / 10
    assert BudgetLines.of(person, limit=lister.reached - 1) is None
    assert BudgetLines.of(person, limit=lister.reached) is not None


def test_the_exact_route_stops_where_the_people_together_pass_the_state_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    search, generation = _converged(WARD)
    listers = [BudgetLines.of(search.person(member)) for member in WARD.staff]
    assert all(lister is not None for lister in listers)
    reached = [lister.reached for lister in listers if lister is not None]
    # room for everyone but the last person's last state
    monkeypatch.setattr(budget, "STATES_LIMIT", sum(reached) - 1)
    found = generation.exact(10**6, time.monotonic() + 60)
    assert (found.roster, found.bound) == (None, None)
    assert generation.stats.exact == [f"unlisted:{WARD.staff[-1].id}"]
    monkeypatch.setattr(budget, "STATES_LIMIT", sum(reached))
    assert generation.exact(10**6, time.monotonic() + 60).roster is not None


def _converged(problem):  # type: ignore[no-untyped-def]
    search = LineSearch(problem, workers=1)
    assert search.first(time.monotonic() + 60, grace=0.0)
    generation = ColumnGeneration(search, threads=1)
    start = search.schedule()
    for member in problem.staff:
        generation.add(member, *search.line_of(member, start))
    assert generation.generate(time.monotonic() + 120).converged
    return search, generation


def _schedule(search: LineSearch, roster: dict[str, tuple[int, ...]]) -> Schedule:
    return Schedule.of(a for member in search.problem.staff for a in search.assignments(member, roster[member.id]))


def test_the_exact_master_finds_the_optimum_and_proves_every_ceiling_below_it_empty() -> None:
    optimum = solve(WARD, SolveOptions(time_limit=60, workers=1, strategy="cpsat"))
    assert optimum.status == "OPTIMAL" and optimum.objective is not None
    search, generation = _converged(WARD)
    found = generation.exact(10**6, time.monotonic() + 60)
    assert found.roster is not None
    report = check(WARD, _schedule(search, found.roster))
    assert report.feasible and report.cost == optimum.objective == found.bound


def test_the_exact_master_on_instance1_reaches_the_proven_optimum() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    search, generation = _converged(problem)
    assert generation.certificate is not None and generation.certificate.bound < 606  # ceilings to prove
    found = generation.exact(10**6, time.monotonic() + 120)
    assert found.roster is not None and found.bound == 607  # proven optimum (Curtois & Qu)
    report = check(problem, _schedule(search, found.roster))
    assert report.feasible and report.cost == 607
    tables = [entry for entry in generation.stats.exact if not entry.startswith("flow:")]
    *below, last = tables
    assert below and all(":INFEASIBLE/" in entry for entry in below) and ":OPTIMAL/" in last
    # the arc-flow master ran once, after the first ceiling proven empty, and found no roster at
    # the bound that proved (the optimum lies 49 above it)
    flows = [entry for entry in generation.stats.exact if entry.startswith("flow:")]
    assert len(flows) == 1 and flows[0].startswith(f"flow:{below[0].split(':')[0]}:")


def test_below_the_optimum_every_ceiling_is_proven_empty() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    _search, generation = _converged(problem)
    found = generation.exact(607, time.monotonic() + 120)  # rosters of 606 and less only
    assert found.roster is None and found.bound == 607
    tables = [entry for entry in generation.stats.exact if not entry.startswith("flow:")]
    assert tables and all(":INFEASIBLE/" in entry for entry in tables)
    # the arc-flow master after the first: no roster at the bound that ceiling proved
    first = tables[0].split(":")[0]
    flows = [entry.split("/")[0] for entry in generation.stats.exact if entry.startswith("flow:")]
    assert flows in ([f"flow:{first}:INFEASIBLE"], [f"flow:{first}:ABOVE_CAP"])


def test_the_flow_master_holds_the_optimum_just_above_a_budget_proven_empty() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    search, generation = _converged(problem)
    assert generation.exact(607, time.monotonic() + 120, flow=False).bound == 607  # 606 and below: empty
    inputs = generation.masters_inputs(time.monotonic() + 60)
    assert inputs is not None
    certificate, listers, tables, shares = inputs
    below = SCALE * 606 - certificate.total  # the budget of a roster of 606: no line set within it
    at_optimum = budget.flow_master(
        listers, tables, certificate.least, shares, below, SCALE * 607 - certificate.total, time.monotonic() + 60
    )
    # the arcs of lines within 606 still combine into a roster of 607, the proven optimum
    assert at_optimum.roster is not None and at_optimum.distance is not None
    report = check(problem, _schedule(search, at_optimum.roster))
    assert report.feasible and report.cost == 607
    assert certificate.total + at_optimum.distance == SCALE * 607  # the master prices it as the checker
    # and with the cap at 606 there is none (every such roster's lines are within the budget),
    # though HiGHS may stop at a roster above its objective bound
    empty = budget.flow_master(listers, tables, certificate.least, shares, below, below, time.monotonic() + 60)
    assert empty.roster is None and empty.status in ("INFEASIBLE", "ABOVE_CAP")


def test_too_many_lines_end_the_exact_route_without_a_roster() -> None:
    search, generation = _converged(WARD)
    found = generation.exact(10**6, time.monotonic() + 60, limit=1)
    assert found.roster is None
    assert generation.certificate is not None
    assert found.bound == -(-generation.certificate.total // SCALE)
    assert generation.stats.exact and generation.stats.exact[-1].split(":")[1].startswith("TOO_MANY")
