"""Baselines every model must beat, computed for many origins at once.

- seasonal naive: the last observed value at the same position of the season;
- hour-of-week climatology: the mean and the empirical quantiles of each position of the
  week, either over a fixed fit window ("static") or over the ``window`` steps before each
  origin (the staffing office's "last 8,760 hours");
- last-k same positions: the mean of the last ``k`` values at the same hour of the week
  (for days: the mean of the last 4 same weekdays).

Each returns ``(mean, quantiles)`` for targets ``t0 + h``; quantiles are ``[n, len(levels)]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import FloatArray
from careshift.forecast.series import IntArray, Series


def _same_position_lag(h: IntArray, season: int, k: int = 1) -> IntArray:
    """Steps back from the target to its ``k``-th most recent same position known at the origin."""
    return (np.ceil(h / season).astype(np.int64) + (k - 1)) * season


def seasonal_naive(series: Series, t0: IntArray, h: IntArray, season: int | None = None) -> FloatArray:
    """Last value at the same position of the season (default: the week)."""
    period = season or series.season
    source = t0 + h - _same_position_lag(h, period)
    if (source < 0).any():
        raise ForecastInputError(f"seasonal naive needs {period} steps of history before the first origin")
    return np.asarray(series.y[source], dtype=float)


def last_k_same_position(series: Series, t0: IntArray, h: IntArray, k: int = 4) -> FloatArray:
    """Mean of the last ``k`` values at the same position of the week known at the origin."""
    total = np.zeros(len(t0))
    for back in range(1, k + 1):
        source = t0 + h - _same_position_lag(h, series.season, back)
        if (source < 0).any():
            raise ForecastInputError(f"last-{k} baseline needs {k} weeks of history before the first origin")
        total += series.y[source]
    return total / k


def _profile(
    values: FloatArray, positions: IntArray, season: int, levels: Sequence[float]
) -> tuple[FloatArray, FloatArray]:
    """Per position: mean ``[season]`` and empirical quantiles ``[season, m]``."""
    order = np.argsort(positions, kind="stable")
    counts = np.bincount(positions, minlength=season)
    if (counts == 0).any():
        missing = int(np.where(counts == 0)[0][0])
        raise ForecastInputError(f"climatology window has no data for week position {missing}; give a longer window")
    width = int(counts.max())
    table = np.full((season, width), np.nan)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_pos = positions[order]
    slot = np.arange(len(values)) - starts[sorted_pos]
    table[sorted_pos, slot] = values[order]
    mean = np.nanmean(table, axis=1)
    quant = np.nanquantile(table, np.asarray(levels), axis=1).T
    return mean, quant


def climatology_static(
    series: Series, fit_end: int, t0: IntArray, h: IntArray, levels: Sequence[float], window: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """Hour-of-week mean and quantiles of the fit window ``[fit_end - window, fit_end)``."""
    start = 0 if window is None else max(0, fit_end - window)
    mean, quant = _profile(series.y[start:fit_end], series.position[start:fit_end], series.season, levels)
    target = series.position[t0 + h]
    return mean[target], quant[target]


def climatology_trailing(
    series: Series, t0: IntArray, h: IntArray, levels: Sequence[float], window: int
) -> tuple[FloatArray, FloatArray]:
    """Hour-of-week mean and quantiles of the ``window`` steps up to each origin (inclusive)."""
    mean_out = np.empty(len(t0))
    quant_out = np.empty((len(t0), len(levels)))
    for origin in np.unique(t0):
        if origin + 1 < window:
            raise ForecastInputError(f"trailing climatology needs {window} steps before origin {origin}")
        rows = np.where(t0 == origin)[0]
        lo = origin + 1 - window
        mean, quant = _profile(series.y[lo : origin + 1], series.position[lo : origin + 1], series.season, levels)
        target = series.position[origin + h[rows]]
        mean_out[rows] = mean[target]
        quant_out[rows] = quant[target]
    return mean_out, quant_out
