import numpy as np
import pandas as pd
import pytest

from careshift.domain.errors import ForecastInputError
from careshift.forecast.backtest import Protocol, run_backtest, select_model
from careshift.forecast.metrics import all_levels, interval_levels
from careshift.forecast.series import Series, series_from_frame
from careshift.forecast.statsforecast_models import StatsConfig, StatsForecastModel
from tests.unit.forecast_helpers import poisson_frame, weekly_profile


def trending_series(weeks: int = 8, seed: int = 3) -> Series:
    """Poisson arrivals whose weekly profile doubles over the series: a static climatology
    of the past is biased low at the end, a model that tracks the level is not."""
    ds = pd.date_range("2024-01-01", periods=24 * 7 * weeks, freq="h")
    growth = 1.0 + np.arange(len(ds)) / len(ds)
    y = np.random.default_rng(seed).poisson(weekly_profile(ds) * growth)
    return series_from_frame(pd.DataFrame({"unique_id": "ward", "ds": ds, "y": y.astype(float)}))


@pytest.mark.parametrize("kind", ["autoets", "mstl"])
def test_statsforecast_quantiles_never_cross_and_intervals_nest(kind: str) -> None:
    frame, _ = poisson_frame(weeks=6)
    series = series_from_frame(frame)
    fit_end = series.n - 48
    model = StatsForecastModel(StatsConfig(kind=kind, fit_weeks=4)).fit(series, fit_end)  # type: ignore[arg-type]
    t0 = np.repeat(np.arange(fit_end - 1, series.n - 25, 6), 24).astype(np.int64)
    h = np.tile(np.arange(1, 25), len(t0) // 24).astype(np.int64)
    levels = all_levels()
    forecast = model.predict(series, t0, h, levels)
    assert forecast.quantiles.shape == (len(t0), len(levels))
    assert np.all(np.diff(forecast.quantiles, axis=1) >= 0)
    assert np.all(forecast.quantiles >= 0)
    # the median is the point forecast and the spread is real, not a degenerate point
    assert np.allclose(forecast.quantiles[:, levels.index(0.5)], forecast.mean)
    assert np.mean(forecast.intervals[80][1] - forecast.intervals[80][0]) > 1.0
    lo50, hi50 = forecast.intervals[50]
    lo80, hi80 = forecast.intervals[80]
    lo95, hi95 = forecast.intervals[95]
    assert np.all((lo95 <= lo80) & (lo80 <= lo50) & (lo50 <= hi50) & (hi50 <= hi80) & (hi80 <= hi95))
    # the intervals are the quantile columns at their ends
    assert np.array_equal(lo80, forecast.quantiles[:, levels.index(interval_levels(80)[0])])
    # origins of the same refit are forecast from their own data: a later origin sees more
    first, later = forecast.mean[:24], forecast.mean[24:48]
    assert not np.allclose(first, later)


def test_statsforecast_model_errors_say_what_to_do() -> None:
    frame, _ = poisson_frame(weeks=3)
    series = series_from_frame(frame)
    with pytest.raises(ForecastInputError, match="not fitted"):
        StatsForecastModel().predict(series, np.array([10]), np.array([1]), [0.5])
    with pytest.raises(ForecastInputError, match="too few for mstl"):
        StatsForecastModel(StatsConfig(kind="mstl")).fit(series, 24 * 7)
    model = StatsForecastModel(StatsConfig(kind="autoets", fit_weeks=2)).fit(series, series.n - 24)
    with pytest.raises(ForecastInputError, match="before the fit window"):
        model.predict(series, np.array([5]), np.array([1]), [0.5])


def test_selection_by_backtest_follows_the_measured_pinball() -> None:
    series = trending_series()
    protocol = Protocol(test_start=series.n - 24 * 7, every=12, horizon=24, refit_every=24 * 7)
    result = run_backtest(
        series,
        protocol,
        lambda: StatsForecastModel(StatsConfig(kind="autoets", fit_weeks=3)),
        candidates={"mstl": lambda: StatsForecastModel(StatsConfig(kind="mstl", fit_weeks=3))},
    )
    rows = result.scores()
    names = [row.model for row in rows]
    assert names[:2] == ["autoets", "mstl"] and "climatology_static" in names
    chosen = select_model(rows)
    calibrated = [row for row in rows if 0.7 <= row.coverage[80] <= 0.9] or rows
    assert chosen == min(calibrated, key=lambda row: row.pinball).model
    by_name = {row.model: row for row in rows}
    # on a trending series the level-tracking statsforecast models beat the static climatology,
    # so the selection lands on one of them
    assert min(by_name["autoets"].pinball, by_name["mstl"].pinball) < by_name["climatology_static"].pinball
    assert chosen in {"autoets", "mstl", "last4_same_hour", "seasonal_naive"}
    assert chosen != "climatology_static"
    assert set(result.fit_seconds) == {"autoets", "mstl"}
