"""A first roster built one person at a time, for problems whose hard rules bind people alone.

On the long Curtois & Qu instances (21: 100 nurses × 26 weeks) CP-SAT on the whole model
finds no roster in 10 minutes, yet every hard rule there (one shift a day, successions,
shift counts, minutes, runs, weekends, days off) binds one person at a time: cover is soft.
So a roster that meets every hard rule can be built person by person. Each person's line
is the optimum of their own small model (their rules and requests) against the cover still
missing after the people before them (each line's target lowered by who already covers it),
so the start also covers well. Fixing that roster in the whole model gives a full incumbent
for the neighbourhood search.
"""

from __future__ import annotations

import dataclasses
import time

from ortools.sat.python import cp_model

from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Assignment, Schedule
from careshift.engine.build import build_model

#: Hard families that couple people: with one of them hard, lines cannot be built alone.
COUPLING = frozenset({"cover_floor", "cover_target"})


def separable(problem: RosterProblem) -> bool:
    """True when no hard rule couples people (every hard rule binds one person's line)."""
    return not any(rule.hard and rule.family in COUPLING for rule in problem.rules)


def _residual(line: ShiftCover, taken: dict[tuple[object, ...], int]) -> ShiftCover:
    covered = taken.get((line.day, line.shift, line.skill, line.unit), 0)
    cap = None if line.cap is None else max(0, line.cap - covered)
    return dataclasses.replace(line, target=max(0, line.target - covered), cap=cap, floor=0)


def person_by_person(
    problem: RosterProblem, deadline: float, *, seed: int = 0, last: float | None = None
) -> Schedule | None:
    """A roster that meets every hard rule of a ``separable`` problem, or None when some
    person's own rules leave them no line before ``last`` (``time.monotonic`` values).

    Improving lines stops at ``deadline``: each person gets half of an even share of the
    time left to it (building their model takes time too); a person whose share ends
    before any line takes the first line found, until ``last`` (default ``deadline``).
    """
    last = deadline if last is None else last
    taken: dict[tuple[object, ...], int] = {}
    chosen: list[Assignment] = []
    lines: dict[tuple[object, ...], list[ShiftCover]] = {}
    for line in problem.cover:
        lines.setdefault((line.day, line.shift), []).append(line)
    for placed, member in enumerate(problem.staff):
        cover = tuple(_residual(line, taken) for line in problem.cover)
        alone = dataclasses.replace(problem, staff=(member,), cover=cover)
        m = build_model(alone)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        share = (deadline - time.monotonic()) / (len(problem.staff) - placed)
        solver.parameters.max_time_in_seconds = max(0.05, share / 2)
        status = solver.solve(m.model)
        if status == cp_model.UNKNOWN and time.monotonic() < last:
            # no line within this person's share: take the first one found
            solver.parameters.stop_after_first_solution = True
            solver.parameters.max_time_in_seconds = last - time.monotonic()
            status = solver.solve(m.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        home = member.home_unit
        for (_staff, d, slot), var in m.work.items():
            if solver.value(var):
                chosen.append(Assignment(member.id, m.days[d], slot.shift, slot.skill, home))
                for line in lines.get((m.days[d], slot.shift), ()):
                    if line.skill in (None, slot.skill) and line.unit in (None, home):
                        key = (line.day, line.shift, line.skill, line.unit)
                        taken[key] = taken.get(key, 0) + 1
    return Schedule.of(chosen, source="person_by_person", policy_version=problem.policy_version)
