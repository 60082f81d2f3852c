import numpy as np
import pytest

from careshift.domain.errors import ForecastInputError
from careshift.forecast import baselines
from careshift.forecast.aggregate import aggregate_paths, block_ids, rolling_sums
from careshift.forecast.backtest import Protocol, origins_and_horizons, run_backtest
from careshift.forecast.metrics import all_levels, coverage
from careshift.forecast.models import CountGBM, GBMConfig
from careshift.forecast.series import series_from_frame
from tests.unit.forecast_helpers import poisson_frame

SMALL = GBMConfig(horizon=24, num_rounds=100, train_stride=5, warmup_hours=168)


def test_model_on_a_known_poisson_series_covers_close_to_nominal() -> None:
    frame, mu = poisson_frame(weeks=14)
    series = series_from_frame(frame)
    fit_end = series.n - 24 * 7 * 3
    model = CountGBM(SMALL).fit(series, fit_end)
    t0 = np.repeat(np.arange(fit_end - 1, series.n - 25, 3), 24)
    h = np.tile(np.arange(1, 25), len(t0) // 24)
    forecast = model.predict(series, t0, h, all_levels())
    y = series.y[t0 + h]
    assert coverage(y, *forecast.intervals[80]) == pytest.approx(0.80, abs=0.05)
    # the mean tracks the true profile it never saw directly
    assert np.mean(np.abs(forecast.mean - mu[t0 + h])) < 0.8
    assert np.all(np.diff(forecast.quantiles, axis=1) >= 0)


def test_features_use_nothing_after_the_origin() -> None:
    frame, _ = poisson_frame(weeks=8)
    series = series_from_frame(frame)
    model = CountGBM(SMALL).fit(series, series.n - 48)
    t0 = np.array([series.n - 48], dtype=np.int64)
    h = np.array([12], dtype=np.int64)
    before = model.features(series, t0, h)
    series.y[series.n - 47 :] = 999.0  # the future changes; the features must not
    after = model.features(series, t0, h)
    assert before.equals(after)


def test_unfitted_model_and_too_short_series_say_what_to_do() -> None:
    frame, _ = poisson_frame(weeks=2)
    series = series_from_frame(frame)
    with pytest.raises(ForecastInputError, match="not fitted"):
        CountGBM(SMALL).predict_mean(series, np.array([1]), np.array([1]))
    with pytest.raises(ForecastInputError, match="too few to fit"):
        CountGBM(SMALL).fit(series)


def test_baselines_on_a_hand_made_series() -> None:
    frame, _ = poisson_frame(weeks=4)
    series = series_from_frame(frame)
    t0 = np.array([24 * 7 * 3 - 1], dtype=np.int64)
    h = np.array([1], dtype=np.int64)
    target = int(t0[0] + 1)
    assert baselines.seasonal_naive(series, t0, h)[0] == series.y[target - 168]
    with pytest.raises(ForecastInputError, match="4 weeks of history"):
        baselines.last_k_same_position(series, t0, h, 4)
    assert baselines.last_k_same_position(series, t0, h, 3)[0] == pytest.approx(
        np.mean([series.y[target - 168 * k] for k in (1, 2, 3)])
    )
    mean, quant = baselines.climatology_static(series, target, t0, h, [0.5])
    same = series.y[[target - 168 * k for k in (1, 2, 3)]]
    assert mean[0] == pytest.approx(same.mean())
    assert quant[0, 0] == pytest.approx(np.median(same))
    trail_mean, _ = baselines.climatology_trailing(series, t0, h, [0.5], window=168 * 2)
    assert trail_mean[0] == pytest.approx(same[:2].mean())


def test_backtest_scores_our_model_and_the_baselines() -> None:
    frame, _ = poisson_frame(weeks=10)
    series = series_from_frame(frame)
    protocol = Protocol(test_start=series.n - 24 * 7, every=12, horizon=24, refit_every=24 * 7 * 2)
    t0, h = origins_and_horizons(series.n, protocol)
    assert (t0 + h >= protocol.test_start).all() and (t0 + h < series.n).all()
    result = run_backtest(series, protocol, lambda: CountGBM(SMALL), trailing_window=24 * 7 * 4, draws=50)
    names = [row.model for row in result.scores()]
    assert names == ["count_gbm", "seasonal_naive", "last4_same_hour", "climatology_static", "climatology_last_672"]
    assert result.paths is not None and result.paths.shape == (50, len(result.y))


def test_shift_totals_from_paths_are_coherent() -> None:
    frame, _ = poisson_frame(weeks=1)
    ds = frame["ds"]
    blocks = block_ids(ds, 12)
    # 07:00 and 19:00 start blocks; midnight to 07:00 belongs to the night before
    assert blocks[6] == blocks[0] and blocks[7] == blocks[6] + 1 and blocks[19] == blocks[7] + 1
    paths = np.ones((10, len(ds)))
    totals = aggregate_paths(paths, blocks, [0.1, 0.9], observed=np.ones(len(ds)), complete=12)
    assert np.all(totals.quantiles == 12) and np.all(totals.observed == 12)
    assert list(rolling_sums(np.arange(5.0), 2)) == [1.0, 3.0, 5.0, 7.0]


def test_selection_prefers_the_lowest_pinball_among_calibrated_models() -> None:
    from careshift.forecast.backtest import select_model
    from careshift.forecast.metrics import Scores

    def row(name: str, pinball: float, cov80: float) -> Scores:
        return Scores(name, 10, 1.0, 1.0, pinball, 2 * pinball, {80: cov80}, {80: 1.0})

    rows = [row("sharp_but_overconfident", 0.5, 0.4), row("ours", 0.7, 0.8), row("climatology", 0.75, 0.85)]
    assert select_model(rows) == "ours"
    assert select_model([row("a", 0.9, 0.1), row("b", 0.8, 0.2)]) == "b"
