"""Minimum rest between shifts and rest after a block of nights, on real (DST-aware) clocks."""

from datetime import date, datetime

from careshift.domain.checker import check
from careshift.domain.rules.rest import MinRestBetweenShifts, RestAfterNightBlock
from careshift.domain.workforce import ShiftType, StaffHistory
from tests.unit.timerules_builders import MONDAY, TZ, amounts, nurse, problem, rule, schedule

SAT, SUN = date(2026, 3, 7), date(2026, 3, 8)  # clocks spring forward at 02:00 on Sunday


def test_min_rest_charges_missing_minutes_and_the_spring_forward_hour() -> None:
    rest = rule(MinRestBetweenShifts(hours=10), weight=2)
    roster = schedule(
        ("a", MONDAY, "L"),  # 15:00-23:00, then D at 07:00: 8 h rest, 120 min short
        ("a", date(2026, 3, 3), "D"),
        ("a", SAT, "L"),  # 23:00 PST to 07:00 PDT is only 7 h: 180 min short
        ("a", SUN, "D"),
        ("a", date(2026, 3, 10), "D"),  # 36 h after Sunday's D: fine
    )
    report = check(problem([nurse("a")], [rest]), roster)
    assert amounts(report) == [120, 180]
    assert [v.day for v in report.violations] == [date(2026, 3, 3), SUN]
    assert report.cost == 2 * (120 + 180)
    assert "7 h rest" in report.violations[1].reason


def test_min_rest_counts_from_the_history_shift_end_and_skips_untimed_shifts() -> None:
    rest = rule(MinRestBetweenShifts(hours=11), hard=True)
    untimed = ShiftType("X", 480)
    history = {"a": StaffHistory(last_shift="N", last_shift_end=datetime(2026, 3, 2, 7, tzinfo=TZ))}
    tiny = problem([nurse("a")], [rest], history=history, shifts=(*problem([], []).shift_types, untimed))
    report = check(tiny, schedule(("a", MONDAY, "L"), ("a", date(2026, 3, 3), "X")))
    assert amounts(report) == [3 * 60]  # 07:00 to 15:00 is 8 h of the 11 h
    assert report.hard_violations and report.cost == 0


def test_rest_after_night_block_charges_the_missing_minutes_across_dst() -> None:
    recovery = rule(RestAfterNightBlock(hours=48))
    roster = schedule(
        ("a", MONDAY, "N"),
        ("a", date(2026, 3, 3), "N"),  # block ends Wed 07:00
        ("a", date(2026, 3, 5), "D"),  # Thu 07:00: 24 h off, 1440 min short
        ("b", date(2026, 3, 6), "N"),  # ends Sat 07:00 PST
        ("b", date(2026, 3, 9), "D"),  # Mon 07:00 PDT: 48 h on the wall clock, 47 h real
        ("c", MONDAY, "N"),
        ("c", date(2026, 3, 5), "D"),  # Tue 07:00 to Thu 07:00: exactly 48 h, fine
    )
    report = check(problem([nurse("a"), nurse("b"), nurse("c")], [recovery]), roster)
    assert [(v.staff, v.amount) for v in report.violations] == [("a", 24 * 60), ("b", 60)]


def test_rest_after_night_block_ignores_short_blocks_and_open_ones() -> None:
    recovery = rule(RestAfterNightBlock(hours=48, min_nights=2))
    roster = schedule(
        ("a", MONDAY, "N"),
        ("a", date(2026, 3, 3), "D"),  # one night only: not a block under min_nights=2
        ("a", date(2026, 3, 12), "N"),
        ("a", date(2026, 3, 13), "N"),  # open at the end of the horizon: nothing to charge
    )
    assert check(problem([nurse("a")], [recovery]), roster).violations == ()


def test_rest_after_night_block_counts_days_when_shifts_have_no_clock_times() -> None:
    night = ShiftType("N", 720, tags=frozenset({"night"}))
    day = ShiftType("D", 720)
    recovery = rule(RestAfterNightBlock(hours=48))
    tiny = problem([nurse("a")], [recovery], shifts=(night, day))
    report = check(tiny, schedule(("a", MONDAY, "N"), ("a", date(2026, 3, 3), "N"), ("a", date(2026, 3, 5), "D")))
    assert amounts(report) == [1]  # one day off (Wed) of the two


def test_rest_after_night_block_continues_a_night_block_from_history() -> None:
    recovery = rule(RestAfterNightBlock(hours=48))
    history = {
        "a": StaffHistory(last_shift="N", consecutive_same_shift=3, last_shift_end=datetime(2026, 3, 2, 7, tzinfo=TZ))
    }
    report = check(problem([nurse("a")], [recovery], history=history), schedule(("a", date(2026, 3, 3), "D")))
    assert amounts(report) == [24 * 60]
    assert "3 nights" in report.violations[0].reason
