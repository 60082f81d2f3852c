"""Tiny problems for the engine tests, and a brute-force optimum through the checker.

Every roster of a tiny problem (each staff member works one of the shift types or is off,
each day) is checked; the least cost among hard-feasible rosters is the optimum the engine
must reach, with the same cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Assignment, Schedule


def rosters(p: RosterProblem) -> Iterator[Schedule]:
    """Every roster with at most one shift per staff and day (skills from the cover lines)."""
    skills = sorted({line.skill for line in p.cover if line.skill is not None}) or [None]
    options: list[tuple[str, str | None] | None] = [None]
    options += [(shift.id, skill) for shift in p.shift_types for skill in skills]
    cells = [(member, day) for member in p.staff for day in p.horizon.days]
    for choice in itertools.product(options, repeat=len(cells)):
        yield Schedule.of(
            Assignment(member.id, day, pick[0], pick[1], member.home_unit)
            for (member, day), pick in zip(cells, choice, strict=True)
            if pick is not None
        )


def brute_force_optimum(p: RosterProblem) -> int | None:
    """The least checker cost of a hard-feasible roster, or ``None`` when there is none."""
    best: int | None = None
    for schedule in rosters(p):
        report = check(p, schedule)
        if report.feasible and (best is None or report.cost < best):
            best = report.cost
    return best
