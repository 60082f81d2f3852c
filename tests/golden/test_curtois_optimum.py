"""Curtois–Qu Instance1: an independent CP-SAT model of the paper's IP, built from the data
we read, reaches the published optimum 607, and the checker accepts that roster at 607.

This guards the reader (a wrong field mapping moves the optimum) and the checker's Curtois
semantics (the hard rules must admit an optimal roster and price it exactly)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from careshift.adapters.benchmarks import curtois
from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    MaxWorkingWeekends,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.schedule import Assignment, Schedule
from tests.conftest import shared_path

PUBLISHED_OPTIMUM = 607  # site LB = UB = 607 (README of the benchmark folder)


def solve_paper_model(problem: RosterProblem) -> tuple[int, Schedule]:
    """The Curtois & Qu (2014) IP written directly from the problem's data and rule params."""
    model = cp_model.CpModel()
    days = problem.horizon.days
    h = len(days)
    shifts = [shift.id for shift in problem.shift_types]
    staff = [member.id for member in problem.staff]
    x = {(s, d, t): model.new_bool_var(f"x[{s},{d},{t}]") for s in staff for d in range(h) for t in shifts}
    work = {(s, d): sum(x[s, d, t] for t in shifts) for s in staff for d in range(h)}
    for s in staff:
        for d in range(h):
            model.add(work[s, d] <= 1)
            if days[d] in problem.days_off.get(s, frozenset()):
                model.add(work[s, d] == 0)
        for shift in problem.shift_types:
            for following in shift.forbidden_next:
                for d in range(h - 1):
                    model.add(x[s, d, shift.id] + x[s, d + 1, following] <= 1)
    for rule in problem.rules:
        (s,) = rule.scope.staff or (None,)
        spec = rule.spec
        if isinstance(spec, ShiftTypeCount) and spec.maximum is not None:
            model.add(sum(x[s, d, spec.shift] for d in range(h)) <= spec.maximum)
        elif isinstance(spec, WorkedMinutes):
            minutes = sum(x[s, d, t.id] * t.minutes for d in range(h) for t in problem.shift_types)
            model.add_linear_constraint(minutes, spec.minimum or 0, spec.maximum or 10**9)
        elif isinstance(spec, ConsecutiveWorkingDays | ConsecutiveDaysOff):
            state = {d: work[s, d] if isinstance(spec, ConsecutiveWorkingDays) else 1 - work[s, d] for d in range(h)}
            if spec.maximum is not None:
                for d in range(h - spec.maximum):
                    model.add(sum(state[d + k] for k in range(spec.maximum + 1)) <= spec.maximum)
            for length in range(1, spec.minimum or 0):
                # A block of `length` days with the other state on both sides, inside the horizon.
                for d in range(1, h - length):
                    block = sum(state[d + k] for k in range(length))
                    model.add((1 - state[d - 1]) + block + (1 - state[d + length]) <= length + 1)
        elif isinstance(spec, MaxWorkingWeekends):
            worked = []
            for weekend in problem.horizon.weekends():
                flag = model.new_bool_var(f"weekend[{s},{weekend[0]}]")
                for day in weekend:
                    model.add(flag >= work[s, days.index(day)])
                worked.append(flag)
            model.add(sum(worked) <= spec.maximum)
    cost = []
    for request in problem.requests:
        assert request.shift is not None
        taken = x[request.staff, days.index(request.day), request.shift]
        cost.append(request.weight * (1 - taken) if request.on else request.weight * taken)
    for line in problem.cover:
        staffed = sum(x[s, days.index(line.day), line.shift] for s in staff)
        under = model.new_int_var(0, len(staff), f"under[{line.day},{line.shift}]")
        over = model.new_int_var(0, len(staff), f"over[{line.day},{line.shift}]")
        model.add(staffed + under - over == line.target)
        cost += [line.weight_under * under, line.weight_over * over]
    model.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 7
    solver.parameters.max_time_in_seconds = 60
    status = solver.solve(model)
    assert status == cp_model.OPTIMAL, solver.status_name(status)
    roster = Schedule.of(Assignment(s, days[d], t) for (s, d, t), var in x.items() if solver.boolean_value(var))
    return round(solver.objective_value), roster


def test_instance1_optimum_is_607_and_the_checker_agrees() -> None:
    problem = curtois.read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    objective, roster = solve_paper_model(problem)
    assert objective == PUBLISHED_OPTIMUM
    report = check(problem, roster)
    assert report.hard_violations == ()
    assert report.cost == PUBLISHED_OPTIMUM
