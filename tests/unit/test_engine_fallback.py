"""The solver-free fallback: its rosters pass the checker's hard rules and are deterministic."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from careshift.adapters.benchmarks.curtois import read_instance
from careshift.domain.checker import check
from careshift.domain.demand import ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import ProducedBy
from careshift.domain.rules import (
    ConsecutiveDaysOff,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    OneShiftPerDay,
    ShiftTypeCount,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import Staff
from careshift.engine.fallback import FallbackResult, fallback, greedy_repair, greedy_roster
from tests.conftest import shared_path
from tests.unit.rules_roster import day, hard, problem, soft
from tests.unit.test_engine_rules import CASES


def ward(days: int = 14) -> RosterProblem:
    """Five nurses, D/E/N every day with a hard floor of one each and a target of two on D;
    N may not be followed by D or E; at most 5 days in a row, days off in pairs, at most
    5 nights, at most 2 weekends; A is on leave the first three days."""
    cover = [
        ShiftCover(day(i), shift, floor=1, target=2 if shift == "D" else 1, cap=2, weight_under=10)
        for i in range(days)
        for shift in ("D", "E", "N")
    ]
    return problem(
        hard(OneShiftPerDay(), "one"),
        hard(ForbiddenSuccessions(), "succession"),
        hard(ConsecutiveWorkingDays(maximum=5), "run"),
        hard(ConsecutiveDaysOff(minimum=2), "off"),
        hard(ShiftTypeCount(shift="N", maximum=5), "nights"),
        hard(MaxWorkingWeekends(maximum=2), "weekends"),
        hard(DaysOffRespected(), "leave"),
        hard(CoverFloor(), "floor"),
        soft(CoverTarget(), rule_id="target"),
        days=days,
        staff=[Staff(name) for name in "ABCDE"],
        cover=cover,
        days_off={"A": frozenset(day(i) for i in range(3))},
    )


@cache
def ward_roster() -> FallbackResult:
    return greedy_roster(ward())


def test_greedy_roster_meets_every_hard_rule_of_a_hand_made_ward() -> None:
    ward_ = ward()
    result = ward_roster()
    assert result.produced_by is ProducedBy.GREEDY_REPAIR
    assert result.schedule.source == "greedy_repair"
    assert result.feasible, [v.reason for v in result.report.hard_violations]
    # the report is the checker's, not the builder's own opinion
    assert result.report == check(ward_, result.schedule)
    assert all(line.below_floor == 0 for line in result.open_lines)
    assert not any(a.staff == "A" and a.day in (day(0), day(1), day(2)) for a in result.schedule)


def test_greedy_roster_is_deterministic() -> None:
    first, second = greedy_roster(ward(), passes=0), greedy_roster(ward(), passes=0)
    assert first.schedule == second.schedule
    assert first.report == second.report


@pytest.mark.parametrize("number", [1, 2, 3])
def test_greedy_roster_passes_the_hard_rules_of_curtois_instances(number: int) -> None:
    instance = read_instance(shared_path("benchmarks", "curtois_qu_nrp", f"Instance{number}.txt"))
    result = greedy_roster(instance)
    verdict = check(instance, result.schedule)
    assert verdict.feasible, [v.reason for v in verdict.hard_violations][:5]
    assert result.cost == verdict.cost > 0


def test_greedy_roster_on_curtois_instance1_is_deterministic() -> None:
    instance = read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance1.txt"))
    assert greedy_roster(instance).schedule == greedy_roster(instance).schedule


def test_greedy_roster_keeps_frozen_days_of_the_reference() -> None:
    base = ward()
    reference = ward_roster().schedule
    frozen = frozenset({day(0), day(1)})
    # the cover of the frozen days changes: the builder must still keep them as they were
    shifted = replace(base, reference=reference, frozen_days=frozen, cover=base.cover[6:])
    result = greedy_roster(shifted)
    assert {a for a in result.schedule if a.day in frozen} == {a for a in reference if a.day in frozen}


def test_greedy_repair_fills_a_call_out_without_touching_anyone_else() -> None:
    ward_ = ward()
    roster = ward_roster().schedule
    called_out = next(a for a in roster if a.day == day(5) and a.shift == "E")
    after_call_out = Schedule.of(a for a in roster if a != called_out)
    result = greedy_repair(ward_, after_call_out)
    assert result.feasible, [v.reason for v in result.report.hard_violations]
    assert set(after_call_out) <= set(result.schedule)
    added = set(result.schedule) - set(after_call_out)
    assert any(a.day == day(5) and a.shift == "E" for a in added)


def test_greedy_repair_leaves_a_frozen_day_alone_and_reports_it_open() -> None:
    ward_ = ward()
    roster = ward_roster().schedule
    called_out = next(a for a in roster if a.day == day(1) and a.shift == "N")
    after_call_out = Schedule.of(a for a in roster if a != called_out)
    frozen = replace(ward_, reference=roster, frozen_days=frozenset({day(1)}))
    result = greedy_repair(frozen, after_call_out)
    assert {a for a in result.schedule if a.day == day(1)} == {a for a in after_call_out if a.day == day(1)}
    assert any(line.day == day(1) and line.shift == "N" and line.below_floor == 1 for line in result.open_lines)
    assert not result.feasible  # the checker says so: the floor is broken on the frozen day


def test_greedy_repair_refuses_a_nurse_whose_own_rules_would_break() -> None:
    # B has worked 5 days in a row; only B is free, and A's E is needed, so D stays open
    ward_ = problem(
        hard(ConsecutiveWorkingDays(maximum=5), "run"),
        hard(CoverFloor(), "floor"),
        days=7,
        staff=[Staff("A"), Staff("B")],
        cover=[ShiftCover(day(5), "D", floor=1, target=1), ShiftCover(day(5), "E", floor=1, target=1)],
    )
    current = Schedule.of([*(Assignment("B", day(i), "D") for i in range(5)), Assignment("A", day(5), "E")])
    result = greedy_repair(ward_, current)
    assert set(result.schedule) == set(current)
    assert result.open_lines[0].below_floor == 1


def test_greedy_repair_moves_someone_off_a_line_with_room_to_spare_onto_a_floor() -> None:
    # B is on leave; A works E, which needs nobody; the D floor needs one person
    ward_ = problem(
        hard(OneShiftPerDay(), "one"),
        hard(DaysOffRespected(), "leave"),
        hard(CoverFloor(), "floor"),
        days=2,
        staff=[Staff("A"), Staff("B")],
        cover=[ShiftCover(day(0), "D", floor=1, target=1), ShiftCover(day(0), "E", floor=0, target=0)],
        days_off={"B": frozenset({day(0)})},
    )
    result = greedy_repair(ward_, Schedule.of([Assignment("A", day(0), "E")]))
    assert set(result.schedule) == {Assignment("A", day(0), "D")}
    assert result.feasible


def test_fallback_as_a_solve_result_is_marked_and_costed_by_the_checker() -> None:
    instance = read_instance(shared_path("benchmarks", "curtois_qu_nrp", "Instance2.txt"))
    result = fallback(instance)
    assert result.fallback and result.status == "FALLBACK"
    assert result.schedule is not None
    report = check(instance, result.schedule)
    assert report.feasible
    assert result.objective == report.cost == sum(line.penalty for line in result.penalties)
    assert greedy_roster(instance).schedule == result.schedule  # deterministic


def test_fallback_keeps_the_hard_rules_of_the_engine_curtois_style_case() -> None:
    case = CASES["hard runs, no history (Curtois style)"]
    result = fallback(case)
    assert result.schedule is not None
    report = check(case, result.schedule)
    assert report.feasible
    assert result.objective == report.cost
