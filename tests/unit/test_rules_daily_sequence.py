"""Runs of days: consecutive working days, same shift, days off, with the border rules."""

from __future__ import annotations

from careshift.domain.checker import check
from careshift.domain.rules import ConsecutiveDaysOff, ConsecutiveSameShift, ConsecutiveWorkingDays
from careshift.domain.workforce import Staff, StaffHistory
from tests.unit.rules_roster import amounts, day, problem, roster, soft


def test_consecutive_working_days_charges_days_over_the_maximum() -> None:
    rule = soft(ConsecutiveWorkingDays(maximum=3), weight=30)
    report = check(problem(rule), roster(A="DDDDD--DDDD"))
    assert amounts(report) == [("A", day(4), 2), ("A", day(10), 1)]
    assert report.cost == 30 * 3


def test_consecutive_working_days_charges_short_closed_runs_only() -> None:
    # Without history: the run touching day 0 and the run open at the end are not short.
    rule = soft(ConsecutiveWorkingDays(minimum=3), weight=30)
    report = check(problem(rule, days=10), roster(A="D---DD---D", B="-D-DDD---D"))
    assert amounts(report) == [("A", day(5), 1), ("B", day(1), 2)]
    assert report.cost == 30 * 3


def test_consecutive_working_days_continues_the_history_run() -> None:
    rule = soft(ConsecutiveWorkingDays(minimum=2, maximum=5), weight=30)
    history = {
        "A": StaffHistory(consecutive_work_days=4),  # 4 + 3 = 7: two days too many
        "B": StaffHistory(consecutive_work_days=1),  # stops at day 0: 1 < 2, charged at the border
        "C": StaffHistory(consecutive_work_days=7),  # already 2 over: only the 1 extra day counts
    }
    staff = (Staff("A"), Staff("B"), Staff("C"))
    report = check(problem(rule, staff=staff, history=history), roster(A="DDD--DD", B="-DD-DD", C="D--DD"))
    assert amounts(report) == [("A", day(2), 2), ("B", day(0), 1), ("C", day(0), 1)]


def test_consecutive_same_shift_charges_runs_of_one_shift_type() -> None:
    rule = soft(ConsecutiveSameShift(shift="N", minimum=2, maximum=3), weight=15)
    report = check(problem(rule, days=12), roster(A="NNNNEN--NN-N"))
    # NNNN: one over; the N after E is one short; NN fine; the last N is open at the end.
    assert amounts(report) == [("A", day(3), 1), ("A", day(5), 1)]
    assert report.cost == 30


def test_consecutive_same_shift_continues_only_the_same_history_shift() -> None:
    rule = soft(ConsecutiveSameShift(shift="E", minimum=3, maximum=4), weight=15)
    history = {"A": StaffHistory(last_shift="E", consecutive_same_shift=3), "B": StaffHistory(last_shift="D")}
    report = check(problem(rule, history=history), roster(A="EE-", B="EE-"))
    assert amounts(report) == [("A", day(1), 1), ("B", day(1), 1)]


def test_consecutive_days_off_charges_short_and_long_rest_blocks() -> None:
    rule = soft(ConsecutiveDaysOff(minimum=2, maximum=3), weight=30)
    report = check(problem(rule, days=12), roster(A="D-D----DD--D", B="--D-D--DDDDD"))
    # A: 1 off (short by 1), 4 off (long by 1), 2 off fine. B: the leading block touches day 0
    # with no history, so it is not short; the single day off is.
    assert amounts(report) == [("A", day(1), 1), ("A", day(6), 1), ("B", day(3), 1)]


def test_consecutive_days_off_border_with_history() -> None:
    rule = soft(ConsecutiveDaysOff(minimum=2), weight=30)
    history = {"A": StaffHistory(consecutive_days_off=1), "B": StaffHistory(consecutive_days_off=1)}
    report = check(problem(rule, history=history, days=7), roster(A="DDDDDDD", B="-DDDDDD"))
    assert amounts(report) == [("A", day(0), 1)]
