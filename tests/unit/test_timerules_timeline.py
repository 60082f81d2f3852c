"""Timeline helpers: real intervals, whole 15-minute slots, the staggered break plan."""

from datetime import UTC, date, datetime, time

from careshift.domain.checker import check
from careshift.domain.rules.interval import IntervalCoverRule
from careshift.domain.schedule import Assignment
from careshift.domain.time import Interval
from careshift.domain.timeline import BreakPlan, assignment_unit, full_grid, placed_shifts, unit_timezone
from tests.unit.timerules_builders import MONDAY, TZ, at, cover_every_15, nurse, problem, rule, schedule


def test_overlap_minutes_is_real_time_across_spring_forward() -> None:
    # Regression: Interval.overlap_minutes subtracted on the wall clock (12 h, not 11 h).
    night = Interval(datetime(2026, 3, 7, 19, tzinfo=TZ), datetime(2026, 3, 8, 7, tzinfo=TZ))
    assert night.overlap_minutes(night) == night.minutes == 11 * 60


def test_full_grid_keeps_only_whole_intervals() -> None:
    span = Interval(at(MONDAY, 7, 10), at(MONDAY, 8, 5))
    assert full_grid(span) == tuple(at(MONDAY, 7, m).astimezone(UTC) for m in (15, 30, 45))


def test_break_plan_staggers_blocks_and_doubles_up_only_when_the_window_is_full() -> None:
    day = Interval(at(MONDAY, 7), at(MONDAY, 19))
    plan = BreakPlan(minutes=30, after_hours=6, window_hours=1)  # 12:30-13:30: two 30-min blocks
    assert plan.window(day) == tuple(at(MONDAY, 12, m).astimezone(UTC) for m in (30, 45)) + tuple(
        at(MONDAY, 13, m).astimezone(UTC) for m in (0, 15)
    )
    assert list(plan.on_break(day, 3).values()) == [2, 2, 1, 1]
    assert plan.on_break(day, 0) == {}
    assert BreakPlan(after_hours=13).window(day) == ()
    short = Interval(at(MONDAY, 7), at(MONDAY, 11))
    assert BreakPlan().window(short) == ()  # 4 h is under the 6 h threshold


def test_assignment_unit_and_timezone_fall_back_to_home_unit_and_horizon() -> None:
    tiny = problem([nurse("a"), nurse("b", home_unit=None)], [])
    assert assignment_unit(tiny, Assignment("a", MONDAY, "D")) == "4W"
    assert assignment_unit(tiny, Assignment("b", MONDAY, "D")) is None
    assert unit_timezone(tiny, "nowhere") == tiny.horizon.timezone
    placed = placed_shifts(tiny, [Assignment("a", date(2026, 3, 3), "D"), Assignment("a", MONDAY, "N")])
    assert [p.interval.start.time() for p in placed] == [time(19), time(7)]


def test_target_level_with_a_zero_cap_charges_anyone_present() -> None:
    target = rule(IntervalCoverRule(level="target"))
    cover = cover_every_15("4W", at(MONDAY, 8), 1, floor=0, target=0, cap=0, weight_over=4)
    report = check(problem([nurse("a")], [target], interval_cover=cover), schedule(("a", MONDAY, "D")))
    assert [(v.amount, v.penalty) for v in report.violations] == [(1, 4)]
