"""Small synthetic series for the forecast tests (no shared data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def weekly_profile(ds: pd.DatetimeIndex) -> np.ndarray:
    """A known hourly mean: a daily wave, busier on weekdays."""
    hours = ds.hour.to_numpy()
    weekday = ds.dayofweek.to_numpy()
    return 5.0 + 3.0 * np.sin(2 * np.pi * (hours - 8) / 24) + (weekday < 5) * 1.0


def poisson_frame(weeks: int = 10, seed: int = 7, start: str = "2024-01-01") -> tuple[pd.DataFrame, np.ndarray]:
    """A long frame of Poisson arrivals around ``weekly_profile`` and the true means."""
    ds = pd.date_range(start, periods=24 * 7 * weeks, freq="h")
    mu = weekly_profile(ds)
    y = np.random.default_rng(seed).poisson(mu)
    return pd.DataFrame({"unique_id": "ward", "ds": ds, "y": y.astype(float)}), mu
