"""The model builder's hooks: frozen days, a caller's extra constraints, and the guarded
model the diagnosis switches rule instances off in."""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from careshift.domain.checker import check
from careshift.domain.demand import ShiftCover
from careshift.domain.rules import ConsecutiveWorkingDays, CoverFloor, Rule
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff
from careshift.engine import SolveOptions, build_model, solve
from careshift.engine.model import EngineModel, Slot
from tests.unit.test_engine_rules import CASES, day


def test_solve_keeps_the_frozen_days_of_the_reference_even_when_it_costs() -> None:
    # cover wants one D and one N every day; the reference has nobody on days 0 and 1
    p = CASES["cover target and cap"]
    reference = Schedule.of([Assignment("A", day(2), "D")])
    frozen = replace(p, reference=reference, frozen_days=frozenset({day(0), day(1)}))
    free = solve(p, SolveOptions(time_limit=30, workers=1, strategy="cpsat"))
    held = solve(frozen, SolveOptions(time_limit=30, workers=1, strategy="cpsat"))
    assert free.objective == 0
    assert held.schedule is not None and held.status == "OPTIMAL"
    assert [a for a in held.schedule if a.day in (day(0), day(1))] == []
    # the two empty frozen days each miss a D (10) and an N (3); the rest is covered
    assert held.objective == check(frozen, held.schedule).cost == 26


def test_frozen_days_without_a_reference_freeze_nothing() -> None:
    p = replace(CASES["cover target and cap"], frozen_days=frozenset({day(0)}))
    assert solve(p, SolveOptions(time_limit=30, workers=1, strategy="cpsat")).objective == 0


def test_extra_constraints_are_part_of_the_model() -> None:
    p = CASES["cover target and cap"]

    def a_never_works_nights(m: EngineModel) -> None:
        for d in range(len(m.days)):
            m.model.add(m.work["A", d, Slot("N")] == 0)

    result = solve(p, SolveOptions(time_limit=30, workers=1, strategy="cpsat", extra=a_never_works_nights))
    assert result.schedule is not None and result.status == "OPTIMAL"
    assert not [a for a in result.schedule if a.staff == "A" and a.shift == "N"]
    # B alone covers the nights; N may not be followed by D, so A covers every D
    assert result.objective == check(p, result.schedule).cost == 0


def _feasible(m: EngineModel, assumed: list[cp_model.IntVar]) -> bool:
    m.model.clear_assumptions()
    m.model.add_assumptions(assumed)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    return solver.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_a_guarded_model_switches_each_hard_rule_instance_on_its_own() -> None:
    # A alone must cover D on three days with at most two working days in a row
    p = CASES["cover target and cap"]
    rules = (
        *(rule for rule in p.rules if rule.hard),
        Rule("run", ConsecutiveWorkingDays(maximum=2)),
        Rule("floor", CoverFloor()),
    )
    ward = replace(p, rules=rules, staff=(Staff("A"),), cover=tuple(ShiftCover(day(d), "D", 1, 1, 1) for d in range(3)))
    m = build_model(ward, guarded=True)
    by_key = {(guard.rules[0][0].id, guard.staff, guard.line): guard for guard in m.guards.values()}
    run = by_key["run", "A", None].literal
    floors = [guard.literal for guard in m.guards.values() if guard.family == "cover_floor"]
    assert len(floors) == 3 and all(guard.rules[0][1] == rules.index(guard.rules[0][0]) for guard in m.guards.values())
    everything = [guard.literal for guard in m.guards.values()]
    assert not _feasible(m, everything)
    assert _feasible(m, [lit for lit in everything if lit is not run])
    assert _feasible(m, [lit for lit in everything if lit is not floors[1]])
    # the unguarded model of the same problem has no roster at all
    assert solve(ward, SolveOptions(time_limit=30, workers=1, strategy="cpsat")).status == "INFEASIBLE"
