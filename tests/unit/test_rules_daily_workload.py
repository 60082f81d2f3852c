"""Counts over the horizon: shifts per type, total assignments, worked minutes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from careshift.domain.checker import check
from careshift.domain.rules import AssignmentCount, ShiftTypeCount, WorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import ShiftType, StaffHistory
from tests.unit.rules_roster import amounts, day, problem, roster, soft


def test_shift_type_count_charges_shifts_outside_the_range() -> None:
    rule = soft(ShiftTypeCount(shift="N", minimum=1, maximum=2), weight=5)
    report = check(problem(rule), roster(A="NNN-N", B="DDD"))
    assert amounts(report) == [("A", day(13), 2), ("B", day(13), 1)]
    assert report.cost == 15


def test_assignment_count_adds_the_history_total() -> None:
    rule = soft(AssignmentCount(minimum=3, maximum=5), weight=20)
    history = {"A": StaffHistory(total_assignments=4), "B": StaffHistory()}
    report = check(problem(rule, history=history), roster(A="DDD", B="D"))
    assert amounts(report) == [("A", day(13), 2), ("B", day(13), 2)]
    assert report.cost == 80


def test_worked_minutes_sums_nominal_minutes() -> None:
    rule = soft(WorkedMinutes(minimum=1000, maximum=1500))
    report = check(problem(rule), roster(A="DDDN", B="D"))  # 3×480 + 600 = 2040; 480
    assert amounts(report) == [("A", day(13), 540), ("B", day(13), 520)]


def test_worked_minutes_uses_the_clock_across_a_dst_change() -> None:
    night = ShiftType("N", minutes=720, start=time(19, 0), end=time(7, 0))
    fall_back = date(2024, 11, 2)  # the night of 2 to 3 November 2024 lasts 13 h in New York
    base = problem(soft(WorkedMinutes(maximum=720)), shift_types=(night,), timezone="America/New_York")
    shifted = replace(base, horizon=Horizon(fall_back, 2, "America/New_York"))
    report = check(shifted, Schedule.of([Assignment("A", fall_back, "N")]))
    assert amounts(report) == [("A", date(2024, 11, 3), 60)]
