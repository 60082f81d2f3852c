"""Stored census forecasts as cover: the latest census run of a unit, each 15-minute start in
the hourly period holding it, p50/p90 from the quantiles (or the mean and the 80 % interval),
and no numbers invented where the run does not cover the planning horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from careshift.domain.errors import DomainError
from careshift.service.census_forecasts import StoredCensus, StoredCensusForecasts, usable
from careshift.service.forecasts import ForecastPoint, StoredForecast
from careshift.service.memory import MemoryState, MemoryUnitOfWork

T0 = datetime(2026, 3, 4, 7, tzinfo=UTC)
HOUR = timedelta(hours=1)


def census_run(
    run_id: str = "r1",
    *,
    hours: int = 24,
    start: datetime = T0,
    generated_at: datetime = T0,
    unit: str = "w1",
    quantiles: bool = True,
    intervals: bool = True,
    skip: int | None = None,
) -> StoredForecast:
    """``hours`` hourly census periods from ``start``: mean ``10 + h``, median ``10 + h + 0.5``,
    p90 ``20 + h`` and a 80 % interval up to ``30 + h`` (so each source is recognisable)."""
    points = tuple(
        ForecastPoint(
            start=start + h * HOUR,
            skill=None,
            mean=10.0 + h,
            quantiles={0.5: 10.5 + h, 0.9: 20.0 + h} if quantiles else {},
            intervals={80: (5.0 + h, 30.0 + h)} if intervals else {},
        )
        for h in range(hours)
        if h != skip
    )
    staff = tuple(ForecastPoint(start=start + h * HOUR, skill="RN", mean=3.0) for h in range(hours))
    return StoredForecast(run_id, unit, generated_at, "count_gbm test", "calendar", points + staff)


def repository(*runs: StoredForecast) -> StoredCensusForecasts:
    state = MemoryState()
    for item in runs:
        state.forecasts[item.id] = item
    return StoredCensusForecasts(lambda: MemoryUnitOfWork(state))


def test_each_quarter_hour_takes_the_hourly_period_containing_it() -> None:
    found = usable(census_run(), T0, T0 + 12 * HOUR)
    assert not isinstance(found, str)
    starts = [T0 + timedelta(minutes=15 * k) for k in range(8)]  # 07:00..08:45
    values = found(starts)
    assert values.tolist() == [[10.5, 20.0]] * 4 + [[11.5, 21.0]] * 4
    # the same instant on another clock is the same period
    local = (T0 + 2 * HOUR).astimezone(ZoneInfo("America/Los_Angeles"))
    assert found([local]).tolist() == [[12.5, 22.0]]


def test_p50_falls_back_to_the_mean_and_p90_to_the_upper_end_of_the_80_interval() -> None:
    found = usable(census_run(quantiles=False), T0, T0 + 2 * HOUR)
    assert not isinstance(found, str)
    assert found([T0, T0 + HOUR]).tolist() == [[10.0, 30.0], [11.0, 31.0]]


def test_a_run_without_p90_or_80_interval_is_not_used_and_says_why() -> None:
    reason = usable(census_run(quantiles=False, intervals=False), T0, T0 + 2 * HOUR)
    assert isinstance(reason, str) and "neither a 0.9 quantile nor an 80 % interval" in reason


def test_a_run_that_does_not_cover_the_horizon_is_not_used_and_says_what_it_covers() -> None:
    late = usable(census_run(start=T0 + HOUR), T0, T0 + 12 * HOUR)
    short = usable(census_run(hours=24), T0, T0 + 25 * HOUR)
    assert isinstance(late, str) and isinstance(short, str)
    assert "covers 2026-03-04T08:00:00+00:00 to 2026-03-05T08:00:00+00:00, not the planning horizon" in late
    assert "not the planning horizon 2026-03-04T07:00:00+00:00 to 2026-03-05T08:00:00+00:00" in short
    exact = usable(census_run(hours=24), T0, T0 + 24 * HOUR)  # the horizon's end is exclusive
    assert not isinstance(exact, str)


def test_a_gap_inside_the_horizon_is_not_filled_in() -> None:
    reason = usable(census_run(skip=5), T0, T0 + 12 * HOUR)
    assert reason == "stored forecast run r1 has no period at 2026-03-04T12:00:00+00:00 inside the planning horizon"
    assert not isinstance(usable(census_run(skip=20), T0, T0 + 12 * HOUR), str)  # after the horizon: irrelevant


def test_a_start_outside_the_checked_span_is_an_error_not_a_guess() -> None:
    found = usable(census_run(), T0, T0 + 2 * HOUR)
    assert not isinstance(found, str)
    with pytest.raises(DomainError, match="covers 2026-03-04T07:00:00\\+00:00 to 2026-03-04T09:00:00"):
        found([T0 + 3 * HOUR])
    assert found([]).shape == (0, 2)


def test_the_latest_census_run_of_the_unit_is_used_and_named() -> None:
    older = census_run("old", generated_at=T0 - HOUR)
    newer = census_run("new", generated_at=T0)
    staff_only = StoredForecast(
        "staff", "w1", T0 + HOUR, "m", "f", (ForecastPoint(start=T0, skill="RN", mean=2.0),), target="staff"
    )
    other = census_run("other-unit", generated_at=T0 + 2 * HOUR, unit="w2")
    source = repository(older, newer, staff_only, other)
    found = source.census_quantiles("w1", T0, T0 + 6 * HOUR)
    assert isinstance(found, StoredCensus) and found.run == "new"
    assert "count_gbm test" in found.about and "data quality unknown" in found.about
    assert np.array_equal(found.quantiles([T0]), np.array([[10.5, 20.0]]))
    assert source.census_quantiles("w3", T0, T0 + HOUR) == "no stored forecast for w3"


def test_the_latest_run_is_not_passed_over_for_an_older_one_that_covers_more() -> None:
    # An older run that happens to cover the horizon is stale: the planner is told why instead.
    older = census_run("old", hours=48, generated_at=T0 - HOUR)
    newer = census_run("new", hours=6, generated_at=T0)
    found = repository(older, newer).census_quantiles("w1", T0, T0 + 12 * HOUR)
    assert isinstance(found, str) and found.startswith("stored forecast run new covers")
