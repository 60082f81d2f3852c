from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careshift.domain.errors import DomainError
from careshift.domain.time import Horizon, Interval, floor_to_grid
from careshift.domain.workforce import ShiftType, worked_minutes

LA = "America/Los_Angeles"


def test_naive_instants_are_refused_with_a_fix() -> None:
    with pytest.raises(DomainError, match="no timezone"):
        Interval(datetime(2026, 1, 1, 7), datetime(2026, 1, 1, 19))


def test_night_shift_is_11_hours_on_spring_forward_and_13_on_fall_back() -> None:
    night = ShiftType("N", minutes=720, start=time(19), end=time(7), tags=frozenset({"night"}))
    assert night.crosses_midnight
    assert night.interval_on(date(2026, 3, 7), LA).minutes == 11 * 60
    assert night.interval_on(date(2026, 10, 31), LA).minutes == 13 * 60
    assert night.interval_on(date(2026, 6, 1), LA).minutes == 12 * 60
    assert worked_minutes(night, date(2026, 10, 31), LA) == 13 * 60


def test_grid_splits_a_shift_into_15_minute_intervals_across_dst() -> None:
    night = ShiftType("N", minutes=720, start=time(19), end=time(7))
    grid = list(night.interval_on(date(2026, 3, 7), LA).grid())
    assert len(grid) == 11 * 4
    assert all(interval.minutes == 15 for interval in grid)


def test_floor_to_grid() -> None:
    instant = datetime(2026, 5, 1, 7, 22, 9, tzinfo=ZoneInfo(LA))
    assert floor_to_grid(instant) == datetime(2026, 5, 1, 7, 15, tzinfo=ZoneInfo(LA))
    assert floor_to_grid(datetime(2026, 5, 1, 0, 0, tzinfo=UTC)) == datetime(2026, 5, 1, tzinfo=UTC)


def test_horizon_weekends_and_index() -> None:
    horizon = Horizon(date(2024, 1, 1), 14)  # a Monday
    assert horizon.weekends() == (
        (date(2024, 1, 6), date(2024, 1, 7)),
        (date(2024, 1, 13), date(2024, 1, 14)),
    )
    assert horizon.index(date(2024, 1, 3)) == 2
    assert date(2024, 1, 15) not in horizon
    with pytest.raises(DomainError, match="outside the horizon"):
        horizon.index(date(2024, 1, 1) - timedelta(days=1))
