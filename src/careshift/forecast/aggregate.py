"""Totals per shift (8, 10, 12 h blocks) and per day, with coherent quantiles.

Staffing is decided per shift, so what matters is the distribution of a shift's *total*.
Summing hourly quantiles would be wrong (quantiles do not add); we sum sample paths instead,
whose hours share a day-level factor, and read the quantiles of the sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from careshift.domain.errors import ForecastInputError
from careshift.forecast.frames import local_clock
from careshift.forecast.metrics import FloatArray
from careshift.forecast.series import IntArray


def block_ids(ds: pd.Series, hours: int, first_start_hour: int = 7) -> IntArray:
    """Shift block of each timestamp: consecutive blocks of ``hours`` on the local clock counted
    from ``first_start_hour`` (8 and 12 h blocks tile every day the same way; 10 h blocks roll
    through the days, as the published 10-hour "shift" sums do)."""
    if hours <= 0:
        raise ForecastInputError(f"shift length must be positive, got {hours} h")
    local = local_clock(ds)
    origin = local.iloc[0].normalize() + pd.Timedelta(hours=first_start_hour) - pd.Timedelta(days=1)
    elapsed = (local - origin).dt.total_seconds().to_numpy() / 3600.0
    return np.asarray(np.floor(elapsed / hours), dtype=np.int64)


def day_ids(ds: pd.Series) -> IntArray:
    """Local calendar day of each timestamp, as days since the first one."""
    local = local_clock(ds)
    return np.asarray(((local.dt.normalize() - local.iloc[0].normalize()).dt.days).to_numpy(), dtype=np.int64)


@dataclass(frozen=True)
class Totals:
    """Per block: its id, periods in it, observed total (NaN if unknown), mean and quantiles."""

    block: IntArray
    periods: IntArray
    observed: FloatArray
    mean: FloatArray
    quantiles: FloatArray
    levels: tuple[float, ...]


def aggregate_paths(
    paths: FloatArray,
    blocks: IntArray,
    levels: Sequence[float],
    observed: FloatArray | None = None,
    complete: int | None = None,
) -> Totals:
    """Totals of sample ``paths [draws, n]`` per block, with their quantiles.

    ``complete`` keeps only blocks with exactly that many periods (whole shifts or days).
    """
    uniques, inverse, counts = np.unique(blocks, return_inverse=True, return_counts=True)
    sums = np.zeros((paths.shape[0], len(uniques)))
    np.add.at(sums.T, inverse, paths.T)
    seen = (
        np.bincount(inverse, weights=observed, minlength=len(uniques))
        if observed is not None
        else np.full(len(uniques), np.nan)
    )
    keep = np.ones(len(uniques), dtype=bool) if complete is None else counts == complete
    quant = np.quantile(sums[:, keep], np.asarray(levels), axis=0).T
    return Totals(
        block=np.asarray(uniques[keep], dtype=np.int64),
        periods=np.asarray(counts[keep], dtype=np.int64),
        observed=np.asarray(seen[keep], dtype=float),
        mean=np.asarray(sums[:, keep].mean(axis=0), dtype=float),
        quantiles=np.asarray(np.maximum.accumulate(quant, axis=1), dtype=float),
        levels=tuple(levels),
    )


def rolling_sums(values: FloatArray, window: int) -> FloatArray:
    """Sums over every run of ``window`` consecutive periods (length ``n - window + 1``)."""
    if window <= 0 or window > len(values):
        raise ForecastInputError(f"window {window} does not fit {len(values)} periods")
    cum = np.concatenate([[0.0], np.cumsum(values)])
    return np.asarray(cum[window:] - cum[:-window], dtype=float)
