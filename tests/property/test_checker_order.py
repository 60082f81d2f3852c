"""The checker's report does not depend on the order in which assignments are listed."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careshift.domain.checker import CheckReport, Violation, check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    AssignmentCount,
    CompleteWeekends,
    ConsecutiveDaysOff,
    ConsecutiveSameShift,
    ConsecutiveWorkingDays,
    CoverFloor,
    CoverTarget,
    DaysOffRespected,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    OneShiftPerDay,
    Rule,
    ShiftRequests,
    ShiftTypeCount,
    SkillRequired,
    WorkedMinutes,
)
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import ShiftType, Staff, StaffHistory

START = date(2024, 1, 1)
DAYS = 14
STAFF = ("A", "B", "C")
SHIFTS = ("D", "E", "N")
SKILLS = ("icu", "rn", None)


def soft(rule_id: str, spec: object, weight: int = 3) -> Rule:
    return Rule(rule_id, spec, hard=False, weight=weight)  # type: ignore[arg-type]


PROBLEM = RosterProblem(
    name="order",
    horizon=Horizon(START, DAYS),
    shift_types=(
        ShiftType("D", 480),
        ShiftType("E", 480, forbidden_next=frozenset({"D"})),
        ShiftType("N", 600, forbidden_next=frozenset({"D", "E"})),
    ),
    staff=(Staff("A", skills=frozenset({"icu", "rn"})), Staff("B", skills=frozenset({"rn"})), Staff("C")),
    rules=(
        Rule("one", OneShiftPerDay()),
        Rule("skill", SkillRequired()),
        Rule("off", DaysOffRespected()),
        Rule("succ", ForbiddenSuccessions()),
        Rule("floor", CoverFloor()),
        soft("work", ConsecutiveWorkingDays(2, 4)),
        soft("same", ConsecutiveSameShift("N", 2, 3)),
        soft("rest", ConsecutiveDaysOff(2, 3)),
        soft("count", ShiftTypeCount("N", 1, 3)),
        soft("total", AssignmentCount(4, 9)),
        soft("minutes", WorkedMinutes(2000, 4000)),
        soft("weekends", MaxWorkingWeekends(1)),
        soft("complete", CompleteWeekends()),
        soft("requests", ShiftRequests()),
        soft("cover", CoverTarget()),
    ),
    cover=tuple(
        ShiftCover(START + timedelta(days=d), shift, floor=1, target=2, cap=2, skill=None, weight_under=5)
        for d in range(DAYS)
        for shift in SHIFTS
    ),
    requests=(Request("A", START, "D", on=True, weight=2), Request("B", START + timedelta(days=5), None, on=False)),
    days_off={"C": frozenset({START + timedelta(days=3)})},
    history={"A": StaffHistory(last_shift="N", consecutive_same_shift=2, consecutive_work_days=2)},
)

assignments = st.lists(
    st.builds(
        Assignment,
        staff=st.sampled_from(STAFF),
        day=st.integers(0, DAYS - 1).map(lambda d: START + timedelta(days=d)),
        shift=st.sampled_from(SHIFTS),
        skill=st.sampled_from(SKILLS),
    ),
    max_size=40,
)


def fingerprint(report: CheckReport) -> tuple[Counter[Violation], int, int]:
    return Counter(report.violations), report.cost, len(report.hard_violations)


@settings(max_examples=150, deadline=None)
@given(items=assignments, data=st.data())
def test_report_is_invariant_to_assignment_order(items: list[Assignment], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(items))
    # Schedule(...) keeps the given order, unlike Schedule.of which sorts.
    first = check(PROBLEM, Schedule(tuple(items)))
    second = check(PROBLEM, Schedule(tuple(shuffled)))
    assert fingerprint(first) == fingerprint(second)
    assert first.violations == second.violations  # same findings in the same order
    assert first.cost_by_rule() == second.cost_by_rule()
