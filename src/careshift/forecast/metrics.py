"""Point and probabilistic accuracy: MAE, RMSE, pinball, interval coverage and width, CRPS, MASE.

Quantile forecasts are matrices ``q[n, m]`` whose columns follow ``levels[m]`` (ascending).
Intervals are central: the 80 % interval runs from the 0.10 to the 0.90 quantile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from careshift.domain.errors import ForecastInputError

FloatArray = npt.NDArray[np.float64]

DEFAULT_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))
DEFAULT_INTERVALS: tuple[int, ...] = (50, 80, 95)


def interval_levels(coverage: int) -> tuple[float, float]:
    """The (lower, upper) quantile levels of the central ``coverage`` % interval."""
    tail = (100 - coverage) / 200
    return round(tail, 4), round(1 - tail, 4)


def all_levels(grid: Sequence[float] = DEFAULT_GRID, intervals: Sequence[int] = DEFAULT_INTERVALS) -> tuple[float, ...]:
    """The grid plus every interval end (0.025 and 0.975 for the 95 % interval), sorted."""
    levels = {round(float(level), 4) for level in grid}
    for coverage in intervals:
        levels.update(interval_levels(coverage))
    return tuple(sorted(levels))


def parse_grid(text: str) -> tuple[float, ...]:
    """``"0.05:0.95:0.05"`` (start:stop:step) or ``"0.1,0.5,0.9"`` → quantile levels."""
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            count = int(round((stop - start) / step)) + 1
            levels = tuple(round(start + step * k, 4) for k in range(count))
        else:
            levels = tuple(round(float(part), 4) for part in text.split(","))
    except ValueError as exc:
        raise ForecastInputError(
            f"cannot read quantiles {text!r}; write start:stop:step such as 0.05:0.95:0.05"
        ) from exc
    if not levels or any(not 0 < level < 1 for level in levels):
        raise ForecastInputError(f"quantile levels must lie strictly between 0 and 1, got {text!r}")
    return levels


def _column(levels: Sequence[float], level: float) -> int:
    for index, value in enumerate(levels):
        if abs(value - level) < 1e-9:
            return index
    raise ForecastInputError(f"quantile level {level} is not among the forecast's levels {list(levels)}")


def mae(y: FloatArray, point: FloatArray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(y - point)))


def rmse(y: FloatArray, point: FloatArray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((y - point) ** 2)))


def pinball(y: FloatArray, q: FloatArray, levels: Sequence[float], grid: Sequence[float] | None = None) -> float:
    """Mean pinball (quantile) loss over the rows and the levels in ``grid`` (all when None)."""
    use = list(levels) if grid is None else list(grid)
    cols = [_column(levels, level) for level in use]
    tau = np.asarray(use)[None, :]
    diff = y[:, None] - q[:, cols]
    return float(np.mean(np.maximum(tau * diff, (tau - 1) * diff)))


def crps_from_quantiles(y: FloatArray, q: FloatArray, levels: Sequence[float], grid: Sequence[float]) -> float:
    """CRPS approximated as twice the mean pinball loss over an evenly spaced grid.

    CRPS is the integral of the pinball loss over all levels times two; an even grid is a
    midpoint rule for that integral, so this is exact in the limit of a fine grid.
    """
    return 2.0 * pinball(y, q, levels, grid)


def coverage(y: FloatArray, lower: FloatArray, upper: FloatArray) -> float:
    """Share of outcomes inside the closed interval [lower, upper]."""
    return float(np.mean((y >= lower) & (y <= upper)))


def mase(y: FloatArray, point: FloatArray, insample: FloatArray, season: int) -> float:
    """Mean absolute scaled error: MAE over the in-sample MAE of the seasonal naive forecast."""
    if len(insample) <= season:
        raise ForecastInputError(f"MASE needs more than {season} in-sample points, got {len(insample)}")
    scale = float(np.mean(np.abs(insample[season:] - insample[:-season])))
    if scale == 0:
        raise ForecastInputError("MASE is undefined: the in-sample seasonal naive error is zero (a constant series)")
    return mae(y, point) / scale


@dataclass(frozen=True)
class Scores:
    """One model's scores on one evaluation set."""

    model: str
    n: int
    mae: float
    rmse: float
    pinball: float
    crps: float
    coverage: dict[int, float]
    width: dict[int, float]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "n": self.n,
            "mae": self.mae,
            "rmse": self.rmse,
            "pinball": self.pinball,
            "crps": self.crps,
        }
        for key, value in self.coverage.items():
            out[f"coverage_{key}"] = value
        for key, value in self.width.items():
            out[f"width_{key}"] = value
        return out


def score(
    model: str,
    y: FloatArray,
    point: FloatArray,
    q: FloatArray,
    levels: Sequence[float],
    grid: Sequence[float] = DEFAULT_GRID,
    intervals: Sequence[int] = DEFAULT_INTERVALS,
    bounds: dict[int, tuple[FloatArray, FloatArray]] | None = None,
) -> Scores:
    """All the metrics of one forecast: point from ``point``, pinball and CRPS from the
    quantiles, coverage and width from ``bounds`` when given, else from the quantile ends."""
    cov: dict[int, float] = {}
    wid: dict[int, float] = {}
    for level in intervals:
        if bounds is not None and level in bounds:
            lo, hi = bounds[level]
        else:
            lo_level, hi_level = interval_levels(level)
            lo, hi = q[:, _column(levels, lo_level)], q[:, _column(levels, hi_level)]
        cov[level] = coverage(y, lo, hi)
        wid[level] = float(np.mean(hi - lo))
    return Scores(
        model=model,
        n=len(y),
        mae=mae(y, point),
        rmse=rmse(y, point),
        pinball=pinball(y, q, levels, grid),
        crps=crps_from_quantiles(y, q, levels, grid),
        coverage=cov,
        width=wid,
    )


def scores_table(rows: Sequence[Scores], intervals: Sequence[int] = DEFAULT_INTERVALS) -> str:
    """A Markdown table of scores, one model per row."""
    head = ["model", "n", "MAE", "RMSE", "pinball", "CRPS"]
    head += [f"cov{level}" for level in intervals] + [f"width{level}" for level in intervals]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row.model, str(row.n), f"{row.mae:.3f}", f"{row.rmse:.3f}", f"{row.pinball:.4f}", f"{row.crps:.3f}"]
        cells += [f"{row.coverage[level]:.3f}" for level in intervals]
        cells += [f"{row.width[level]:.2f}" for level in intervals]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
