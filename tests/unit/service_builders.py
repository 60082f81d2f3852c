"""A small ward for the decision-service tests, with fakes of the solver and the clock.

Five nurses over 7 days, D/E/N each day with a hard floor of one; the current roster is
the greedy fallback's (feasible). ``call_out`` removes one rostered shift the way the
projections do after a ``StaffCalledOut``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import UnitMode
from careshift.domain.rules import (
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    OneShiftPerDay,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff
from careshift.engine.fallback import greedy_roster
from careshift.engine.result import SolveResult
from careshift.service.bus import MessageBus
from careshift.service.memory import FixedQualityGate, MemoryPlanningData, MemoryState, MemoryUnitOfWork
from careshift.service.messages import ChangeUnitMode
from careshift.service.repositories import PlanningInput
from careshift.service.sample import SHIFTS
from careshift.service.usecases import DecisionService
from tests.unit.rules_roster import day, hard, problem, soft

UNIT = "4W"
OTHER = "5E"


def ward(days: int = 7) -> RosterProblem:
    cover = [
        ShiftCover(day(i), shift, floor=1, target=2 if shift == "D" else 1, cap=2, weight_under=10)
        for i in range(days)
        for shift in ("D", "E", "N")
    ]
    base = problem(
        hard(OneShiftPerDay(), "one"),
        hard(ForbiddenSuccessions(), "succession"),
        hard(ConsecutiveWorkingDays(maximum=5), "run"),
        hard(DaysOffRespected(), "leave"),
        hard(CoverFloor(), "floor"),
        soft(CoverTarget(), rule_id="target"),
        days=days,
        staff=[Staff(name) for name in "ABCDEF"],
        cover=cover,
        shift_types=SHIFTS,
    )
    return base


@cache
def current_roster() -> Schedule:
    result = greedy_roster(ward())
    assert result.feasible
    return result.schedule


def called_out(roster: Schedule) -> Assignment:
    """The assignment the tests call out: day 2's E shift."""
    return next(a for a in roster if a.day == day(2) and a.shift == "E")


class Clock:
    """A settable clock."""

    def __init__(self, start: datetime = datetime(2024, 1, 1, 6, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class ScriptedSolver:
    """Returns a fixed roster, sleeps, or raises; counts calls."""

    schedule: Schedule | None = None
    error: Exception | None = None
    calls: int = 0

    def solve(self, problem: RosterProblem, *, hint: Schedule | None, time_limit: float) -> SolveResult:  # noqa: ARG002
        self.calls += 1
        if self.error is not None:
            raise self.error
        status = "FEASIBLE" if self.schedule is not None else "INFEASIBLE"
        return SolveResult(status, self.schedule, 0, 0.0, 0.0, None, (), "test", (), "x")


def slow_task(*args: object) -> SolveResult:
    """A solver task that never answers in time (for the timeout tests)."""
    time.sleep(3)
    raise AssertionError("should have been abandoned")


@dataclass
class Rig:
    """The service on memory ports, ready to use."""

    state: MemoryState
    planning: MemoryPlanningData
    solver: object
    clock: Clock
    service: DecisionService
    bus: MessageBus
    gate: FixedQualityGate = field(default_factory=FixedQualityGate)


def rig(solver: object, *, mode: UnitMode | None = UnitMode.APPROVE, time_limit: float = 1.0) -> Rig:
    state = MemoryState()
    planning = MemoryPlanningData(
        {
            UNIT: PlanningInput(ward(), current_roster(), {"forecast": "f-1"}, "m-1", "fs-1"),
            OTHER: PlanningInput(ward(), current_roster()),
        }
    )
    clock = Clock()
    gate = FixedQualityGate()
    ids = iter(f"rec-{n}" for n in range(1, 1000))
    service = DecisionService(
        lambda: MemoryUnitOfWork(state),
        planning,
        solver,  # type: ignore[arg-type]
        clock,
        gate=gate,
        time_limit=time_limit,
        new_id=lambda: next(ids),
    )
    bus = MessageBus(service)
    if mode is not None:
        bus.handle(ChangeUnitMode(UNIT, mode, actor="admin"))
    return Rig(state, planning, solver, clock, service, bus, gate)
