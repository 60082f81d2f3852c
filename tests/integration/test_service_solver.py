"""The decision service with the real engine in a real worker process: an optimiser answer
when it has time, and a checked fallback — marked as such — when it overruns or dies."""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import replace
from datetime import date

from careshift.domain.checker import check
from careshift.domain.recommendations import ProducedBy, UnitMode
from careshift.domain.schedule import Schedule
from careshift.engine.fallback import greedy_repair
from careshift.service.bus import MessageBus
from careshift.service.memory import MemoryState, MemoryUnitOfWork
from careshift.service.messages import ChangeUnitMode, PlanUnit, RepairAfterCallOut
from careshift.service.sample import sample_planning
from careshift.service.solver import PoolSolver
from careshift.service.usecases import DecisionService, PlanOutcome
from tests.unit.service_builders import Clock

UNIT = "4W"


def service(solver: PoolSolver, time_limit: float) -> tuple[MessageBus, object]:
    planning = sample_planning((UNIT,), date(2024, 1, 3), days=7)
    state = MemoryState()
    svc = DecisionService(lambda: MemoryUnitOfWork(state), planning, solver, Clock(), time_limit=time_limit)
    bus = MessageBus(svc)
    bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin"))
    return bus, planning


def call_out_first_night(planning: object) -> None:
    """Call out enough people from one shift to break its floor, choosing a shift the greedy
    repair can mend (so the fallback's verdict is a clean pass)."""
    problem = planning.inputs[UNIT].problem  # type: ignore[attr-defined]
    current = planning.inputs[UNIT].current  # type: ignore[attr-defined]
    for line in problem.cover:
        on = [a for a in current if a.day == line.day and a.shift == line.shift]
        gone = on[: len(on) - line.floor + 1]
        after = Schedule.of(a for a in current if a not in gone)
        trial = replace(problem, days_off={a.staff: frozenset({a.day}) for a in gone})
        if greedy_repair(trial, after).feasible:
            for a in gone:
                planning.call_out(UNIT, a.staff, a.day)  # type: ignore[attr-defined]
            return
    raise AssertionError("no mendable shift in the sample roster")


def test_repair_with_the_real_engine_in_a_worker_process() -> None:
    solver = PoolSolver()
    try:
        bus, planning = service(solver, time_limit=3.0)
        call_out_first_night(planning)
        outcome: PlanOutcome = bus.handle(RepairAfterCallOut(UNIT))
    finally:
        solver.close()
    assert outcome.produced_by is ProducedBy.OPTIMIZER, outcome.fallback_reason
    problem = planning.inputs[UNIT].problem  # type: ignore[attr-defined]
    rec = outcome.recommendation
    assert rec is not None and check(problem, rec.schedule).feasible and outcome.check.feasible
    assert rec.recommendation.model_version.startswith("cp-sat")
    people, changes = rec.recommendation.disruption
    assert changes <= 3  # the change penalty keeps the repair small: fill the hole, little else


def stuck_solver(*args: object) -> object:
    """An optimiser that hangs (a pathological model, a livelock)."""
    time.sleep(60)
    raise AssertionError("unreachable")


def test_an_optimiser_that_overruns_is_killed_and_a_checked_fallback_answers() -> None:
    solver = PoolSolver(lambda: concurrent.futures.ProcessPoolExecutor(1), task=stuck_solver, grace=0.5)
    try:
        bus, planning = service(solver, time_limit=1.0)
        call_out_first_night(planning)
        outcome: PlanOutcome = bus.handle(RepairAfterCallOut(UNIT))
        assert outcome.produced_by is ProducedBy.GREEDY_REPAIR
        assert outcome.recommendation.recommendation.summary.startswith("[greedy_repair]")
        assert "no answer within 1.5 s" in outcome.fallback_reason
        problem = planning.inputs[UNIT].problem  # type: ignore[attr-defined]
        assert check(problem, outcome.recommendation.schedule).feasible and outcome.check.feasible
        # the stuck worker was terminated: the next solve gets a fresh process, not a queue behind it
        started = time.monotonic()
        again = bus.handle(PlanUnit(UNIT))
        assert time.monotonic() - started < 30  # not queued behind the 60 s sleeper
        assert again.produced_by is not ProducedBy.OPTIMIZER and "no answer" in again.fallback_reason
    finally:
        solver.close()


def test_the_domain_default_read_only_mappings_cross_to_the_worker() -> None:
    # Bug: RosterProblem.days_off defaults to a MappingProxyType, which cannot be pickled, so
    # every solve of a unit without leave silently fell back to the greedy repair.
    solver = PoolSolver()
    try:
        planning = sample_planning((UNIT,), date(2024, 1, 3), days=7)
        problem = planning.inputs[UNIT].problem
        assert not problem.days_off  # the domain's default, no leave in this unit
        result = solver.solve(problem, hint=planning.inputs[UNIT].current, time_limit=2.0)
    finally:
        solver.close()
    assert result.schedule is not None and check(problem, result.schedule).feasible
