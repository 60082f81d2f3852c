"""A small sample hospital for ``careshift serve`` on an empty database and for tests.

Each unit has twelve nurses on D/E/N shifts with a hard floor per shift and a soft target
on days, rest and run-length rules, over two weeks from the Monday of the given day; the
live roster is the greedy fallback's. ``careshift serve`` falls back to it only on a
database that holds no units; otherwise planning reads the store
(:mod:`careshift.service.store_planning`). Tests and benchmarks use it as a small fixture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    ChangeCost,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    OneShiftPerDay,
    Rule,
    Scope,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import ShiftType, Staff
from careshift.engine.fallback import greedy_roster
from careshift.policy import policy_version
from careshift.service.memory import MemoryPlanningData
from careshift.service.repositories import PlanningInput

SHIFTS = (
    ShiftType("D", 480, time(7), time(15)),
    ShiftType("E", 480, time(15), time(23)),
    ShiftType("N", 600, time(21), time(7), forbidden_next=frozenset({"D", "E"}), tags=frozenset({"night"})),
)
RULES = (
    Rule("one-shift-per-day", OneShiftPerDay(), hard=True, scope=Scope()),
    Rule("no-day-after-night", ForbiddenSuccessions(), hard=True, scope=Scope()),
    Rule("max-5-days-in-a-row", ConsecutiveWorkingDays(maximum=5), hard=True, scope=Scope()),
    Rule("leave-respected", DaysOffRespected(), hard=True, scope=Scope()),
    Rule("cover-floor", CoverFloor(), hard=True, scope=Scope()),
    Rule("cover-target", CoverTarget(), hard=False, weight=1, scope=Scope()),
    # Repairs should move as few people as possible: each change costs more than a missed target.
    Rule("change-cost", ChangeCost(), hard=False, weight=15, scope=Scope()),
)


def unit_problem(unit: str, start: date, days: int = 14, staff: int = 12) -> RosterProblem:
    """One unit's problem: ``staff`` nurses homed on ``unit``, floors of 1 (2 on days)."""
    cover = tuple(
        ShiftCover(
            start + timedelta(days=i),
            shift,
            floor=2 if shift == "D" else 1,
            target=3 if shift == "D" else 2,
            cap=3,
            unit=unit,
            weight_under=10,
        )
        for i in range(days)
        for shift in ("D", "E", "N")
    )
    members = tuple(Staff(f"{unit}-RN{n:02d}", name=f"Nurse {n} ({unit})", home_unit=unit) for n in range(1, staff + 1))
    return RosterProblem(
        name=f"sample-{unit}",
        horizon=Horizon(start, days, "UTC"),
        shift_types=SHIFTS,
        staff=members,
        rules=RULES,
        cover=cover,
        policy_version=policy_version(RULES),
    )


@dataclass
class SamplePlanning(MemoryPlanningData):
    """``MemoryPlanningData`` seeded with sample units; the live roster is the greedy one."""

    inputs: dict[str, PlanningInput] = field(default_factory=dict)


def first_night(roster: Schedule) -> list[Assignment]:
    """Who works ``roster``'s first night shift: calling them all out breaks the unit's floor
    (the disruption the decision benchmark and the API's integration tests start from)."""
    day = min(a.day for a in roster if a.shift == "N")
    return [a for a in roster if a.shift == "N" and a.day == day]


def sample_planning(units: tuple[str, ...], today: date, days: int = 14) -> SamplePlanning:
    """Sample units starting on the Monday of ``today``'s week, with rosters and templates."""
    start = today - timedelta(days=today.weekday())
    inputs: dict[str, PlanningInput] = {}
    templates: dict[str, Schedule] = {}
    for unit in units:
        problem = unit_problem(unit, start, days)
        roster = greedy_roster(problem).schedule
        current = Schedule.of((_on_unit(a, unit) for a in roster), source="sample")
        inputs[unit] = PlanningInput(problem, current, {"source": "sample"}, None, "sample-v1")
        templates[unit] = current
    return SamplePlanning(inputs, templates)


def _on_unit(assignment: Assignment, unit: str) -> Assignment:
    return (
        assignment
        if assignment.unit
        else Assignment(assignment.staff, assignment.day, assignment.shift, assignment.skill, unit)
    )
