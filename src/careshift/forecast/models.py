"""Our hourly count model: gradient-boosted Poisson mean + calibrated negative binomial.

``CountGBM`` is a *direct* multi-horizon model: one LightGBM regressor with a Poisson
objective predicts the mean count at ``t0 + h`` from

- the target's calendar (hour of week, hour, weekday, month, day of year, public holiday
  from the ``holidays`` package) and any exogenous columns (flags, temperature),
- the hour-of-week climatology of the fit window at the target,
- the recent level as of the origin: the ratio of observed to climatological counts over the
  last 3 h, 1 day, 1, 4 and 12 weeks, and the last value,
- the mean of the last 4 same hours of the week known at the origin, and the horizon ``h``.

Around that mean the predictive distribution is negative binomial; its size, a conformal
recalibration of the quantile levels (``LevelMap``) and a day-level frailty for coherent
sample paths are all estimated on a calibration window held out from the end of the fit
data, after which the mean model is refitted on everything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from careshift.domain.errors import ForecastInputError
from careshift.forecast.distributions import (
    LevelMap,
    count_intervals,
    count_quantiles,
    fit_size,
    randomized_pit,
    sample_paths,
)
from careshift.forecast.metrics import FloatArray
from careshift.forecast.series import IntArray, Series


@dataclass(frozen=True)
class GBMConfig:
    """Settings of :class:`CountGBM`; the defaults are the ones benchmarked in ADR 0006."""

    horizon: int = 48
    long_horizon: int = 0
    long_samples: int = 12
    train_stride: int = 7
    window_hours: tuple[int, ...] = (3, 24, 168, 672, 2016)
    num_rounds: int = 500
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_data_in_leaf: int = 200
    calib_fraction: float = 0.15
    min_calib_hours: int = 672
    warmup_hours: int = 672
    use_exog: bool = True
    threads: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Forecast:
    """Forecasts for targets ``t = t0 + h``: means and quantiles ``[n, len(levels)]``."""

    t0: IntArray
    h: IntArray
    mean: FloatArray
    quantiles: FloatArray
    levels: tuple[float, ...]
    intervals: dict[int, tuple[FloatArray, FloatArray]] = field(default_factory=dict)

    @property
    def t(self) -> IntArray:
        return self.t0 + self.h


def _params(config: GBMConfig) -> dict[str, Any]:
    return {
        "objective": "poisson",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 10.0,
        "num_threads": config.threads,
        "seed": config.seed,
        "deterministic": True,
        "verbose": -1,
    }


@dataclass
class CountGBM:
    """Direct multi-horizon count forecaster (see the module docstring)."""

    config: GBMConfig = field(default_factory=GBMConfig)
    size: float = math.inf
    frailty_sd: float = 0.0
    level_map: LevelMap = field(default_factory=LevelMap)
    _clim: FloatArray | None = None
    _booster: Any = None

    name = "count_gbm"

    # -- features -------------------------------------------------------------------------
    def _steps(self, series: Series, hours: int) -> int:
        return max(1, int(round(hours * series.steps_per_hour)))

    def features(self, series: Series, t0: IntArray, h: IntArray) -> pd.DataFrame:
        """The feature matrix for targets ``t0 + h`` using ``y[: t0 + 1]`` only."""
        if self._clim is None:
            raise ForecastInputError("the model is not fitted; call fit() first")
        t = t0 + h
        local = series.local()
        clim_at = self._clim[series.position]
        clim_cum = np.concatenate([[0.0], np.cumsum(clim_at)])
        columns: dict[str, Any] = {
            "h": h,
            "position": series.position[t],
            "hour": local.dt.hour.to_numpy()[t],
            "weekday": local.dt.dayofweek.to_numpy()[t],
            "month": local.dt.month.to_numpy()[t],
            "dayofyear": local.dt.dayofyear.to_numpy()[t],
            "holiday": series.holiday[t],
            "clim": clim_at[t],
            "last": series.y[t0],
        }
        for hours in self.config.window_hours:
            steps = self._steps(series, hours)
            total, _ = series.trailing_sum(t0, steps)
            lo = np.maximum(t0 - steps + 1, 0)
            expected = clim_cum[t0 + 1] - clim_cum[lo]
            columns[f"level_{hours}h"] = total / np.maximum(expected, 1e-9)
        recent = np.zeros(len(t))
        for back in range(1, 5):
            lag = (np.ceil(h / series.season).astype(np.int64) + back - 1) * series.season
            recent += series.y[np.maximum(t - lag, 0)]
        columns["last4_same_hour"] = recent / 4
        if self.config.use_exog:
            for index, name in enumerate(series.exog_names):
                columns[f"x_{name}"] = series.exog[t, index]
        return pd.DataFrame(columns)

    # -- training -------------------------------------------------------------------------
    def _training_pairs(self, start: int, end: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """Origins every ``train_stride`` steps in ``[start, end)`` with targets before ``end``."""
        origins = np.arange(start, end - 1, self.config.train_stride, dtype=np.int64)
        horizons = np.arange(1, self.config.horizon + 1, dtype=np.int64)
        t0 = np.repeat(origins, len(horizons))
        h = np.tile(horizons, len(origins))
        if self.config.long_horizon > self.config.horizon:
            shape = (len(origins), self.config.long_samples)
            extra_h = rng.integers(self.config.horizon + 1, self.config.long_horizon + 1, shape)
            t0 = np.concatenate([t0, np.repeat(origins, self.config.long_samples)])
            h = np.concatenate([h, extra_h.ravel()])
        keep = t0 + h < end
        return t0[keep], h[keep]

    def _train(self, series: Series, t0: IntArray, h: IntArray) -> Any:
        import lightgbm as lgb

        data = lgb.Dataset(self.features(series, t0, h), series.y[t0 + h], free_raw_data=True)
        return lgb.train(_params(self.config), data, num_boost_round=self.config.num_rounds)

    def fit(self, series: Series, fit_end: int | None = None) -> CountGBM:
        """Fit on ``y[:fit_end]``: calibrate on its tail, then refit the mean on all of it."""
        end = series.n if fit_end is None else fit_end
        warmup = self._steps(series, self.config.warmup_hours)
        if end - warmup < 3 * series.season:
            raise ForecastInputError(
                f"series {series.unique_id!r}: {end} periods are too few to fit; give at least "
                f"{warmup + 3 * series.season} (three weeks after a {self.config.warmup_hours} h warm-up)"
            )
        if np.isnan(series.y[:end]).any():
            raise ForecastInputError(f"series {series.unique_id!r} has unknown counts inside the fit window")
        rng = np.random.default_rng(self.config.seed)
        # the calibration window needs enough distinct targets to measure the spread: at least
        # ``min_calib_hours`` (four weeks by default), more on long series
        calib = max(
            self._steps(series, self.config.min_calib_hours), int(round((end - warmup) * self.config.calib_fraction))
        )
        calib = min(calib, (end - warmup) // 3)  # short series: keep two thirds to train on
        cal_start = end - calib
        # the calibration model must not see the calibration window, not even through the climatology
        self._set_climatology(series, cal_start)
        t0, h = self._training_pairs(warmup, cal_start, rng)
        self._booster = self._train(series, t0, h)
        cal_t0, cal_h = self._training_pairs(cal_start, end, rng)
        mu = self._booster.predict(self.features(series, cal_t0, cal_h))
        y = series.y[cal_t0 + cal_h]
        self.size = fit_size(y, mu)
        self.level_map = LevelMap.from_pit(randomized_pit(y, mu, self.size, rng))
        self.frailty_sd = self._frailty(series, cal_t0, cal_h, y, mu)

        self._set_climatology(series, end)
        t0, h = self._training_pairs(warmup, end, rng)
        self._booster = self._train(series, t0, h)
        return self

    def _set_climatology(self, series: Series, end: int) -> None:
        """Hour-of-week means of ``y[:end]`` (the overall mean where a position never occurs)."""
        positions = series.position[:end]
        sums = np.bincount(positions, weights=series.y[:end], minlength=series.season)
        counts = np.bincount(positions, minlength=series.season)
        overall = float(series.y[:end].mean())
        self._clim = np.where(counts > 0, sums / np.maximum(counts, 1), overall)

    def _frailty(self, series: Series, t0: IntArray, h: IntArray, y: FloatArray, mu: FloatArray) -> float:
        """Day-level extra spread: variance of daily totals beyond what independent hours give."""
        day = self._day_index(series, t0 + h)
        block = t0 * 100_000 + day
        _, inverse = np.unique(block, return_inverse=True)
        var_hour = mu + (mu**2 / self.size if math.isfinite(self.size) else 0.0)
        total_y = np.bincount(inverse, weights=y)
        total_mu = np.bincount(inverse, weights=mu)
        total_var = np.bincount(inverse, weights=var_hour)
        excess = float(np.sum((total_y - total_mu) ** 2 - total_var))
        if excess <= 0:
            return 0.0
        return math.sqrt(excess / float(np.sum(total_mu**2)))

    @staticmethod
    def _day_index(series: Series, t: IntArray) -> IntArray:
        local = series.local()
        first = local.iloc[0].normalize()
        days = ((local.dt.normalize() - first).dt.days).to_numpy()
        return np.asarray(days[t], dtype=np.int64)

    # -- prediction -----------------------------------------------------------------------
    def predict_mean(self, series: Series, t0: IntArray, h: IntArray) -> FloatArray:
        """Mean forecasts for targets ``t0 + h``."""
        if self._booster is None:
            raise ForecastInputError("the model is not fitted; call fit() first")
        if (t0 + h >= series.n).any():
            raise ForecastInputError("targets beyond the series; extend it with Series.extended(steps) first")
        return np.asarray(self._booster.predict(self.features(series, t0, h)), dtype=float)

    def predict(
        self,
        series: Series,
        t0: IntArray,
        h: IntArray,
        levels: Sequence[float],
        coverages: Sequence[int] = (50, 80, 95),
        *,
        integer: bool = True,
    ) -> Forecast:
        """Means, calibrated quantiles and prediction intervals for targets ``t0 + h``."""
        mean = self.predict_mean(series, t0, h)
        quantiles = count_quantiles(mean, self.size, self.level_map(levels), integer=integer)
        intervals = count_intervals(mean, self.size, coverages, self.level_map)
        return Forecast(t0=t0, h=h, mean=mean, quantiles=quantiles, levels=tuple(levels), intervals=intervals)

    def paths(self, series: Series, t0: IntArray, h: IntArray, draws: int, rng: np.random.Generator) -> FloatArray:
        """Sample paths ``[draws, n]`` for targets ``t0 + h`` (days share a level factor)."""
        mean = self.predict_mean(series, t0, h)
        blocks = t0 * 100_000 + self._day_index(series, t0 + h)
        return sample_paths(mean, self.size, blocks, self.frailty_sd, draws, rng)
