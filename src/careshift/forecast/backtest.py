"""Rolling-origin backtest: origins every ``every`` steps, horizons 1 … ``horizon``.

Our model is refitted every ``refit_every`` steps on everything before the refit point and
predicts all origins of its block at once (vectorised), which keeps a one-year hourly
backtest to minutes on one core. Candidate models (statsforecast MSTL/AutoETS, or other
``CountGBM`` settings) go through the same refit blocks; baselines are computed for the same
targets. ``select_model`` then picks per series from the scores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol as TypingProtocol

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.forecast import baselines
from careshift.forecast.distributions import count_quantiles
from careshift.forecast.metrics import DEFAULT_GRID, DEFAULT_INTERVALS, FloatArray, Scores, all_levels, score
from careshift.forecast.models import Forecast
from careshift.forecast.series import IntArray, Series


class ForecastModel(TypingProtocol):
    """What the backtest needs of a model: fit on ``y[:fit_end]``, predict targets ``t0 + h``."""

    @property
    def name(self) -> str: ...

    def fit(self, series: Series, fit_end: int | None = None) -> ForecastModel: ...

    def predict(
        self,
        series: Series,
        t0: IntArray,
        h: IntArray,
        levels: Sequence[float],
        coverages: Sequence[int] = (50, 80, 95),
    ) -> Forecast: ...


@dataclass(frozen=True)
class Protocol:
    """Where the test starts, how often origins come, how far they look, how often we refit."""

    test_start: int
    every: int = 12
    horizon: int = 48
    refit_every: int = 720
    grid: tuple[float, ...] = DEFAULT_GRID
    intervals: tuple[int, ...] = DEFAULT_INTERVALS

    @property
    def levels(self) -> tuple[float, ...]:
        return all_levels(self.grid, self.intervals)


def origins_and_horizons(n: int, protocol: Protocol) -> tuple[IntArray, IntArray]:
    """Every (origin, horizon) pair whose target lies in ``[test_start, n)``."""
    if not 0 < protocol.test_start < n:
        raise ForecastInputError(f"test start {protocol.test_start} is outside the series of {n} periods")
    origins = np.arange(protocol.test_start - 1, n - 1, protocol.every, dtype=np.int64)
    t0 = np.repeat(origins, protocol.horizon)
    h = np.tile(np.arange(1, protocol.horizon + 1, dtype=np.int64), len(origins))
    keep = t0 + h < n
    return t0[keep], h[keep]


@dataclass
class BacktestResult:
    """Forecasts of our model and of each baseline for the same targets."""

    series: Series
    protocol: Protocol
    t0: IntArray
    h: IntArray
    model: Forecast
    baselines: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    paths: FloatArray | None = None
    model_name: str = "count_gbm"
    candidates: dict[str, Forecast] = field(default_factory=dict)
    fit_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def y(self) -> FloatArray:
        return np.asarray(self.series.y[self.t0 + self.h], dtype=float)

    def scores(self, model_name: str | None = None, *, with_baselines: bool = True) -> list[Scores]:
        """Scores of our model, of each candidate, then of each baseline (baselines' intervals
        are quantile ends)."""
        levels, grid, intervals = self.protocol.levels, self.protocol.grid, self.protocol.intervals
        rows = [
            score(
                model_name or self.model_name,
                self.y,
                self.model.mean,
                self.model.quantiles,
                levels,
                grid,
                intervals,
                self.model.intervals,
            )
        ]
        for name, forecast in self.candidates.items():
            rows.append(
                score(name, self.y, forecast.mean, forecast.quantiles, levels, grid, intervals, forecast.intervals)
            )
        for name, (mean, quant) in self.baselines.items() if with_baselines else ():
            rows.append(score(name, self.y, mean, quant, levels, grid, intervals))
        return rows


def _rolling(
    series: Series,
    protocol: Protocol,
    make_model: Callable[[], ForecastModel],
    t0: IntArray,
    h: IntArray,
    *,
    draws: int = 0,
    rng: np.random.Generator | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Forecast, list[FloatArray]]:
    """One model through the refit blocks: fit at each block start, predict its origins."""
    levels = protocol.levels
    parts: list[Forecast] = []
    path_parts: list[FloatArray] = []
    block_start = protocol.test_start - 1
    while block_start < series.n - 1:
        block_end = block_start + protocol.refit_every
        mask = (t0 >= block_start) & (t0 < block_end)
        if mask.any():
            model = make_model().fit(series, block_start + 1)
            parts.append(model.predict(series, t0[mask], h[mask], levels, protocol.intervals))
            if draws:
                sampler = getattr(model, "paths", None)
                if sampler is None or rng is None:
                    raise ForecastInputError(f"model {model.name!r} has no sample paths; run it with draws=0")
                path_parts.append(sampler(series, t0[mask], h[mask], draws, rng).astype(np.float32))
            if progress:
                progress(f"{model.name}: refit at {block_start + 1}: {int(mask.sum())} targets")
        block_start = block_end
    merged = Forecast(
        t0=np.concatenate([p.t0 for p in parts]),
        h=np.concatenate([p.h for p in parts]),
        mean=np.concatenate([p.mean for p in parts]),
        quantiles=np.vstack([p.quantiles for p in parts]),
        levels=levels,
        intervals={
            c: (np.concatenate([p.intervals[c][0] for p in parts]), np.concatenate([p.intervals[c][1] for p in parts]))
            for c in protocol.intervals
        },
    )
    return merged, path_parts


def run_backtest(
    series: Series,
    protocol: Protocol,
    make_model: Callable[[], ForecastModel],
    *,
    trailing_window: int | None = None,
    progress: Callable[[str], None] | None = None,
    draws: int = 0,
    seed: int = 0,
    candidates: Mapping[str, Callable[[], ForecastModel]] | None = None,
) -> BacktestResult:
    """Run the protocol: refit per block, predict its origins, add candidates and baselines.

    ``candidates`` maps a name to a model factory; each goes through the same refit blocks
    and targets as the main model (statsforecast MSTL/AutoETS, say). Baselines: seasonal
    naive (one week), the last 4 same hours of the week, the static hour-of-week
    climatology of everything before the test, and, with ``trailing_window``, the
    hour-of-week empirical quantiles of the ``trailing_window`` steps before each origin.
    With ``draws`` > 0 the result also holds that many sample paths of the main model
    (float32), for shift and day totals; the main model must then have ``paths``.
    """
    rng = np.random.default_rng(seed)
    t0, h = origins_and_horizons(series.n, protocol)
    levels = protocol.levels
    started = time.perf_counter()
    name = make_model().name
    merged, path_parts = _rolling(series, protocol, make_model, t0, h, draws=draws, rng=rng, progress=progress)
    out = BacktestResult(series=series, protocol=protocol, t0=merged.t0, h=merged.h, model=merged, model_name=name)
    out.fit_seconds[name] = time.perf_counter() - started
    if path_parts:
        out.paths = np.concatenate(path_parts, axis=1)
    for key, factory in (candidates or {}).items():
        started = time.perf_counter()
        forecast, _ = _rolling(series, protocol, factory, t0, h, progress=progress)
        if not (np.array_equal(forecast.t0, merged.t0) and np.array_equal(forecast.h, merged.h)):
            raise ForecastInputError(f"candidate {key!r} forecast other targets than the main model")
        out.candidates[key] = forecast
        out.fit_seconds[key] = time.perf_counter() - started
    mt0, mh = merged.t0, merged.h
    naive = baselines.seasonal_naive(series, mt0, mh)
    out.baselines["seasonal_naive"] = (naive, _point_quantiles(naive, levels))
    last4 = baselines.last_k_same_position(series, mt0, mh, 4)
    out.baselines["last4_same_hour"] = (last4, _point_quantiles(last4, levels))
    out.baselines["climatology_static"] = baselines.climatology_static(series, protocol.test_start, mt0, mh, levels)
    if trailing_window is not None:
        out.baselines[f"climatology_last_{trailing_window}"] = baselines.climatology_trailing(
            series, mt0, mh, levels, trailing_window
        )
    return out


def _point_quantiles(point: FloatArray, levels: Sequence[float]) -> FloatArray:
    """Quantiles for a point baseline: Poisson around the point (hourly counts are near Poisson)."""
    return count_quantiles(np.maximum(point, 1e-6), math.inf, levels)


def select_model(rows: Sequence[Scores], coverage_band: tuple[float, float] = (0.7, 0.9)) -> str:
    """Model selection by backtest: the lowest mean pinball among models whose 80 % interval
    coverage lies in ``coverage_band`` (all models when none does)."""
    if not rows:
        raise ForecastInputError("no scores to select a model from")
    calibrated = [row for row in rows if coverage_band[0] <= row.coverage.get(80, 0.0) <= coverage_band[1]]
    return min(calibrated or list(rows), key=lambda row: row.pinball).model
