"""Calibration plot and fan chart as PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careshift.forecast.metrics import FloatArray


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_plot(
    path: Path,
    y: FloatArray,
    quantiles: FloatArray,
    levels: Sequence[float],
    intervals: dict[int, tuple[FloatArray, FloatArray]] | None = None,
    title: str = "Calibration",
) -> Path:
    """Observed share below each quantile against its level.

    Counts tie with integer quantiles, so each level gets a bar from ``P(y < q)`` to
    ``P(y <= q)``: a calibrated forecast's bar crosses the diagonal. Interval coverage
    (observed against nominal) is drawn as points.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5.0))
    grid = np.asarray(levels)
    below = (y[:, None] < quantiles).mean(axis=0)
    at_or_below = (y[:, None] <= quantiles).mean(axis=0)
    ax.vlines(grid, below, at_or_below, color="tab:blue", linewidth=3, label="P(y < q) … P(y ≤ q)")
    if intervals:
        nominal = sorted(intervals)
        observed = [float(np.mean((y >= intervals[c][0]) & (y <= intervals[c][1]))) for c in nominal]
        ax.plot([c / 100 for c in nominal], observed, "o", color="tab:red", label="interval coverage")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("nominal level")
    ax.set_ylabel("observed share")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def fan_chart(
    path: Path,
    ds: pd.Series,
    y: FloatArray,
    mean: FloatArray,
    intervals: dict[int, tuple[FloatArray, FloatArray]],
    title: str = "Forecast",
    ylabel: str = "arrivals per hour",
) -> Path:
    """Actuals, mean forecast and nested prediction intervals over time."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.0))
    x = pd.to_datetime(ds).to_numpy()
    shades = {95: 0.15, 80: 0.3, 50: 0.5}
    for coverage in sorted(intervals, reverse=True):
        lo, hi = intervals[coverage]
        alpha = shades.get(coverage, 0.25)
        ax.fill_between(x, lo, hi, step="mid", color="tab:blue", alpha=alpha, linewidth=0, label=f"{coverage} %")
    ax.plot(x, mean, color="tab:blue", linewidth=1.2, label="mean")
    ax.plot(x, y, "k.", markersize=3, label="observed")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", ncol=5, fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
