"""statsforecast MSTL and AutoETS as candidate models behind the ``CountGBM`` interface.

Both are Gaussian state-space forecasters of a continuous series, so they are candidates for
model selection by backtest, not a replacement for the count model. To keep them cheap on a
year of hourly origins:

- they are fitted on a trailing window only (``fit_weeks``, eight weeks by default), once per
  refit period of the backtest;
- every origin of the refit period is forecast by running the *fitted* model forward
  (statsforecast ``forward``: parameters and initial states fixed, states filtered through the
  new data) over ``y[fit_start : t0 + 1]``. The window keeps its start because an ETS model's
  initial seasonal states belong to the phase of the first fitted period.
- MSTL's own ``forward`` re-runs the decomposition (about 0.4 s per origin on eight weeks of
  hours); we freeze the seasonal components at the refit instead (inside the fit window the
  fitted ones, after it each component's last cycle repeated, which is also how MSTL
  forecasts them) and run only the fitted AutoETS trend model forward on the deseasonalised
  data.

Quantiles come from statsforecast's central intervals: level ``tau < 0.5`` is the lower end
of the ``(1 - 2 tau)`` interval, ``tau > 0.5`` the upper end of the ``(2 tau - 1)`` one and
0.5 the mean. They are clipped at zero (counts) and made non-decreasing in the level, so they
never cross; the 50/80/95 % intervals are read from the same matrix, so they are nested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import FloatArray, interval_levels
from careshift.forecast.models import Forecast
from careshift.forecast.series import IntArray, Series

Kind = Literal["mstl", "autoets"]
KINDS: tuple[Kind, ...] = ("mstl", "autoets")


@dataclass(frozen=True)
class StatsConfig:
    """Settings of :class:`StatsForecastModel`."""

    kind: Kind = "autoets"
    fit_weeks: int = 8
    day_season_hours: int = 24
    week_season_hours: int = 168


def _coverage_of(level: float) -> float:
    """The central interval (in %) whose lower or upper end is quantile ``level``."""
    return round(abs(2.0 * level - 1.0) * 100.0, 4)


def _as_passed(coverage: float) -> int | float:
    # statsforecast names its columns ``lo-{level}`` after the level object it was given
    # (``lo-80`` for 80, ``lo-80.0`` for 80.0), so whole levels are passed as ints
    return int(coverage) if coverage == int(coverage) else coverage


@dataclass
class StatsForecastModel:
    """statsforecast MSTL (24 h and 168 h seasons, AutoETS trend) or AutoETS (24 h season)."""

    config: StatsConfig = field(default_factory=StatsConfig)
    _model: Any = None
    _fit_start: int = 0
    _decomposition: Any = None

    @property
    def name(self) -> str:
        return self.config.kind

    def _seasons(self, series: Series) -> tuple[int, int]:
        steps = series.steps_per_hour
        return (
            max(1, int(round(self.config.day_season_hours * steps))),
            max(1, int(round(self.config.week_season_hours * steps))),
        )

    def _new_model(self, series: Series) -> Any:
        from statsforecast.models import MSTL, AutoETS

        day, week = self._seasons(series)
        if self.config.kind == "mstl":
            # the seasonal parts are removed by MSTL, so the trend model is non-seasonal
            return MSTL(season_length=[day, week], trend_forecaster=AutoETS(model="ZZN"))
        if self.config.kind == "autoets":
            return AutoETS(season_length=day)
        raise ForecastInputError(f"unknown statsforecast model {self.config.kind!r}; use one of {list(KINDS)}")

    def fit(self, series: Series, fit_end: int | None = None) -> StatsForecastModel:
        """Fit on the trailing ``fit_weeks`` of ``y[:fit_end]``."""
        end = series.n if fit_end is None else fit_end
        window = int(round(self.config.fit_weeks * 168 * series.steps_per_hour))
        _, week = self._seasons(series)
        need = 2 * week + 1 if self.config.kind == "mstl" else 3 * self._seasons(series)[0]
        start = max(0, end - window)
        if end - start < need:
            raise ForecastInputError(
                f"series {series.unique_id!r}: {end - start} periods are too few for {self.config.kind}; "
                f"give at least {need} (two weeks for MSTL, three days for AutoETS)"
            )
        y = series.y[start:end]
        if np.isnan(y).any():
            raise ForecastInputError(f"series {series.unique_id!r} has unknown counts inside the fit window")
        model = self._new_model(series)
        with np.errstate(all="ignore"):
            model.fit(np.asarray(y, dtype=np.float64))
        self._model = model
        self._fit_start = start
        if self.config.kind == "mstl":
            decomposition = model.model_
            columns = [col for col in decomposition.columns if str(col).startswith("seasonal")]
            self._decomposition = [decomposition[col].to_numpy(dtype=float) for col in columns], self._seasons(series)
        return self

    def _frozen_seasonal(self, length: int) -> FloatArray:
        """Sum of the seasonal components over ``length`` steps from the fit start."""
        components, periods = self._decomposition
        fitted = len(components[0])
        total = np.zeros(max(length, fitted))
        ahead = np.arange(max(length - fitted, 0))
        for values, period in zip(components, periods, strict=True):
            total[:fitted] += values
            total[fitted:] += values[fitted - period + ahead % period]
        return total

    def _forward(self, y: FloatArray, steps: int, cover: list[int | float]) -> dict[str, Any]:
        """Forecasts ``steps`` ahead of the end of ``y`` (which starts at the fit start)."""
        level = cover or None
        if self._decomposition is None:
            out: dict[str, Any] = self._model.forward(y=y, h=steps, level=level)
            return out
        seasonal = self._frozen_seasonal(len(y) + steps)
        trend = self._model.trend_forecaster.forward(y=y - seasonal[: len(y)], h=steps, level=level)
        future = seasonal[len(y) : len(y) + steps]
        return {key: np.asarray(value, dtype=float) + future for key, value in trend.items()}

    def predict(
        self,
        series: Series,
        t0: IntArray,
        h: IntArray,
        levels: Sequence[float],
        coverages: Sequence[int] = (50, 80, 95),
        *,
        integer: bool = False,
    ) -> Forecast:
        """Means, quantiles and nested intervals for targets ``t0 + h`` (one forward run per origin).

        ``integer=True`` rounds the quantiles up to whole counts (still non-decreasing).
        """
        if self._model is None:
            raise ForecastInputError("the model is not fitted; call fit() first")
        if (t0 + h >= series.n).any():
            raise ForecastInputError("targets beyond the series; extend it with Series.extended(steps) first")
        if (t0 < self._fit_start).any():
            raise ForecastInputError(f"origins before the fit window start {self._fit_start}; refit earlier")
        asked = sorted({round(float(level), 4) for level in levels})
        for coverage in coverages:
            asked = sorted(set(asked) | set(interval_levels(coverage)))
        cover = sorted({_as_passed(_coverage_of(level)) for level in asked if abs(level - 0.5) > 1e-9})
        mean = np.empty(len(t0))
        table = np.empty((len(t0), len(asked)))
        for origin in np.unique(t0):
            rows = np.where(t0 == origin)[0]
            steps = int(h[rows].max())
            y = np.asarray(series.y[self._fit_start : origin + 1], dtype=np.float64)
            with np.errstate(all="ignore"):
                out = self._forward(y, steps, cover)
            centre = np.asarray(out["mean"], dtype=float)
            idx = h[rows] - 1
            mean[rows] = centre[idx]
            for col, level in enumerate(asked):
                if abs(level - 0.5) <= 1e-9:
                    values = centre
                else:
                    side = "lo" if level < 0.5 else "hi"
                    values = np.asarray(out[f"{side}-{_as_passed(_coverage_of(level))}"], dtype=float)
                table[rows, col] = values[idx]
        # Gaussian intervals around a drifting mean can dip below zero or cross at tiny
        # spreads; counts are non-negative and quantiles must not cross
        table = np.maximum.accumulate(np.maximum(table, 0.0), axis=1)
        if integer:
            table = np.ceil(table - 1e-9)
        mean = np.maximum(mean, 0.0)
        column = {level: col for col, level in enumerate(asked)}
        quantiles = table[:, [column[round(float(level), 4)] for level in levels]]
        intervals = {
            coverage: (table[:, column[interval_levels(coverage)[0]]], table[:, column[interval_levels(coverage)[1]]])
            for coverage in coverages
        }
        return Forecast(t0=t0, h=h, mean=mean, quantiles=quantiles, levels=tuple(levels), intervals=intervals)

    def predict_mean(self, series: Series, t0: IntArray, h: IntArray) -> FloatArray:
        """Mean forecasts for targets ``t0 + h``."""
        return self.predict(series, t0, h, (0.5,), ()).mean
