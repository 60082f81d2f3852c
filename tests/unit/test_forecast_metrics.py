import numpy as np
import pytest

from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import (
    all_levels,
    coverage,
    crps_from_quantiles,
    interval_levels,
    mae,
    mase,
    parse_grid,
    pinball,
    rmse,
    score,
)


def test_point_errors() -> None:
    y = np.array([1.0, 2.0, 4.0])
    point = np.array([2.0, 2.0, 2.0])
    assert mae(y, point) == pytest.approx(1.0)
    assert rmse(y, point) == pytest.approx(np.sqrt(5 / 3))


def test_pinball_weights_under_and_over_forecasts_by_the_level() -> None:
    y = np.array([10.0])
    # at level 0.9 a forecast 2 too low costs 0.9 * 2, one 2 too high costs 0.1 * 2
    assert pinball(y, np.array([[8.0]]), [0.9]) == pytest.approx(1.8)
    assert pinball(y, np.array([[12.0]]), [0.9]) == pytest.approx(0.2)


def test_pinball_over_a_subgrid_ignores_the_other_levels() -> None:
    y = np.array([5.0])
    q = np.array([[0.0, 5.0, 100.0]])
    assert pinball(y, q, [0.1, 0.5, 0.9], grid=[0.5]) == 0.0


def test_crps_of_a_point_forecast_is_its_absolute_error_in_the_limit() -> None:
    levels = [k / 1000 for k in range(1, 1000)]
    y = np.array([3.0])
    q = np.full((1, len(levels)), 5.0)
    assert crps_from_quantiles(y, q, levels, levels) == pytest.approx(2.0, rel=1e-2)


def test_coverage_counts_closed_intervals() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(y, np.full(4, 2.0), np.full(4, 3.0)) == 0.5


def test_mase_scales_by_the_in_sample_seasonal_naive() -> None:
    insample = np.array([1.0, 2.0, 3.0, 5.0])  # seasonal (m=2) naive errors: 2, 3 → scale 2.5
    assert mase(np.array([4.0]), np.array([3.0]), insample, 2) == pytest.approx(0.4)
    with pytest.raises(ForecastInputError, match="constant series"):
        mase(np.array([1.0]), np.array([1.0]), np.ones(5), 2)


def test_grids_and_interval_levels() -> None:
    assert parse_grid("0.05:0.95:0.05")[0] == 0.05
    assert len(parse_grid("0.05:0.95:0.05")) == 19
    assert parse_grid("0.1,0.5,0.9") == (0.1, 0.5, 0.9)
    assert interval_levels(80) == (0.1, 0.9)
    assert {0.025, 0.975, 0.25, 0.75} <= set(all_levels())
    with pytest.raises(ForecastInputError, match="strictly between 0 and 1"):
        parse_grid("0,0.5")
    with pytest.raises(ForecastInputError, match="start:stop:step"):
        parse_grid("a:b")


def test_score_uses_explicit_interval_bounds_when_given() -> None:
    levels = all_levels()
    y = np.array([5.0, 6.0])
    q = np.repeat(np.array([[5.0]]), 2, axis=0).repeat(len(levels), axis=1)
    plain = score("m", y, y, q, levels)
    assert plain.coverage[80] == 0.5
    wide = score("m", y, y, q, levels, bounds={80: (np.zeros(2), np.full(2, 10.0))})
    assert wide.coverage[80] == 1.0 and wide.width[80] == 10.0
