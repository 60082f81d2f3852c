"""Weekends: how many are worked, and whether they are worked whole."""

from __future__ import annotations

from careshift.domain.checker import check
from careshift.domain.rules import CompleteWeekends, MaxWorkingWeekends
from careshift.domain.workforce import StaffHistory
from tests.unit.rules_roster import amounts, day, problem, roster, soft

# Saturday of weekend 1, the whole of weekend 2, Sunday of weekend 3.
THREE_WEEKENDS = "-----D------DD------D"


def test_max_working_weekends_counts_weekends_with_any_day_worked() -> None:
    rule = soft(MaxWorkingWeekends(maximum=1), weight=30)
    report = check(problem(rule, days=21), roster(A=THREE_WEEKENDS, B="-----DD"))
    assert amounts(report) == [("A", day(20), 2)]
    assert report.cost == 60


def test_max_working_weekends_adds_the_history_total() -> None:
    rule = soft(MaxWorkingWeekends(maximum=1), weight=30)
    history = {"A": StaffHistory(total_working_weekends=1), "B": StaffHistory()}
    report = check(problem(rule, history=history), roster(A="-----D", B="------D"))
    assert amounts(report) == [("A", day(13), 1)]


def test_complete_weekends_charges_each_half_worked_weekend() -> None:
    rule = soft(CompleteWeekends(), weight=30)
    report = check(problem(rule, days=21), roster(A=THREE_WEEKENDS, B="-----DD------D"))
    assert amounts(report) == [("A", day(5), 1), ("A", day(19), 1), ("B", day(12), 1)]
    assert report.cost == 90


def test_complete_weekends_ignores_a_weekend_cut_by_the_horizon() -> None:
    report = check(problem(soft(CompleteWeekends()), days=6), roster(A="-----D"))
    assert report.violations == ()
