"""Worked minutes in rolling 24 h / 7 d windows on real shift intervals."""

from datetime import date

from careshift.domain.checker import check
from careshift.domain.rules.workload import RollingWorkedMinutes
from careshift.domain.workforce import ShiftType
from tests.unit.timerules_builders import MONDAY, amounts, at, nurse, problem, rule, schedule


def test_twelve_hours_in_24_charges_the_worst_window_per_start_day() -> None:
    cap = rule(RollingWorkedMinutes(window_hours=24, maximum=12 * 60), weight=3)
    roster = schedule(("a", MONDAY, "N"), ("a", date(2026, 3, 3), "D"))
    report = check(problem([nurse("a")], [cap]), roster)
    # Window from Mon 19:00 holds the whole night and the whole day: 24 h, 12 h over.
    # The worst window starting on Tuesday is from 00:00: 7 h of night + 12 h of day.
    assert [(v.day, v.amount) for v in report.violations] == [(MONDAY, 12 * 60), (date(2026, 3, 3), 7 * 60)]
    assert report.violations[0].at == at(MONDAY, 19)
    assert report.cost == 3 * (720 + 420)


def test_fall_back_night_is_13_hours_and_breaks_a_12_hour_cap() -> None:
    cap = rule(RollingWorkedMinutes(window_hours=24, maximum=12 * 60))
    fall_back, spring_forward = date(2026, 10, 31), date(2026, 3, 7)
    assert amounts(check(problem([nurse("a")], [cap], start=fall_back, length=3), schedule(("a", fall_back, "N")))) == [
        60
    ]
    spring = problem([nurse("a")], [cap], start=spring_forward, length=3)
    assert check(spring, schedule(("a", spring_forward, "N"))).violations == ()


def test_seven_day_window_over_a_week_of_day_shifts() -> None:
    cap = rule(RollingWorkedMinutes(window_hours=168, maximum=60 * 60), hard=True)
    roster = schedule(*(("a", date(2026, 3, 2 + k), "D") for k in range(6)))  # 72 h Mon-Sat
    report = check(problem([nurse("a")], [cap], length=7), roster)
    # Windows starting Mon (07:00) hold all six shifts; from Tue on, at most five (60 h).
    assert [(v.day, v.amount) for v in report.violations] == [(MONDAY, 12 * 60)]
    assert report.cost == 0 and not report.feasible


def test_day_windows_over_nominal_minutes_when_shifts_have_no_clock_times() -> None:
    long_day = ShiftType("X", 600)
    cap = rule(RollingWorkedMinutes(window_hours=48, maximum=1000))
    roster = schedule(*(("a", date(2026, 3, 2 + k), "X") for k in range(3)))
    report = check(problem([nurse("a")], [cap], shifts=(long_day,), length=5), roster)
    assert [(v.day, v.amount) for v in report.violations] == [(MONDAY, 200), (date(2026, 3, 3), 200)]
