"""Monthly volumes across many related departments: a pooled seasonal model.

Monthly series are short (the NHS A&E extract has 36 months), so one department's own
seasonality is two noisy numbers per month. We pool: each department's forecast is its
recent level (the mean of its last 12 months), grown at the pooled year-on-year growth,
times a seasonal index that blends the department's own index with the median index of all
departments. The blend weight is chosen by an inner backtest on the training data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import FloatArray


@dataclass(frozen=True)
class PooledSeasonalFit:
    """What the pooled model learnt: per-series level and index, pooled index and growth."""

    ids: tuple[str, ...]
    level: FloatArray
    own_index: FloatArray
    pooled_index: FloatArray
    growth: float
    blend: float
    last_month: pd.Timestamp


def _wide(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    part = frame[(frame["ds"] >= start) & (frame["ds"] < end)]
    return part.pivot(index="unique_id", columns="ds", values="y")


def fit_pooled_seasonal(
    frame: pd.DataFrame, train_end: pd.Timestamp, blend: float = 0.5, window: int = 24
) -> PooledSeasonalFit:
    """Fit on the ``window`` (12 or 24) months before ``train_end``; series missing any of
    them are left out. Growth is the pooled ratio of the last to the first year (1 with 12)."""
    if window not in (12, 24):
        raise ForecastInputError(f"the pooled monthly model fits on 12 or 24 months, not {window}")
    start = train_end - pd.DateOffset(months=window)
    wide = _wide(frame, start, train_end).dropna()
    if wide.shape[1] != window or wide.empty:
        raise ForecastInputError(
            f"the pooled monthly model needs {window} whole months before {train_end.date()} for some series; "
            f"found {wide.shape[1]} months"
        )
    values = wide.to_numpy(dtype=float)
    years = [values[:, k : k + 12] for k in range(0, window, 12)]
    level = years[-1].mean(axis=1)
    if (level <= 0).any():
        raise ForecastInputError("a series has no volume in its last 12 months; drop closed departments first")
    # each year's months relative to that year's mean, averaged over the years
    relative = np.mean([year / year.mean(axis=1, keepdims=True) for year in years], axis=0)
    months = np.asarray(pd.DatetimeIndex(wide.columns[-12:]).month) - 1
    own = np.zeros((len(level), 12))
    own[:, months] = relative
    pooled = np.median(own, axis=0)
    pooled = pooled / pooled.mean()
    growth = float(np.median(level / np.maximum(years[0].mean(axis=1), 1e-9))) if window == 24 else 1.0
    return PooledSeasonalFit(
        ids=tuple(str(i) for i in wide.index),
        level=level,
        own_index=own,
        pooled_index=pooled,
        growth=growth,
        blend=blend,
        last_month=pd.Timestamp(wide.columns[-1]),
    )


def predict_pooled_seasonal(fit: PooledSeasonalFit, horizon: int = 12) -> pd.DataFrame:
    """Forecasts ``unique_id, ds, mean`` for the ``horizon`` months after the fit window."""
    rows: list[pd.DataFrame] = []
    index = fit.blend * fit.own_index + (1 - fit.blend) * fit.pooled_index[None, :]
    for step in range(1, horizon + 1):
        month = fit.last_month + pd.DateOffset(months=step)
        # the 12-month mean sits 6.5 months before the first forecast month
        trend = fit.growth ** ((step + 5.5) / 12)
        mean = fit.level * trend * index[:, month.month - 1]
        rows.append(pd.DataFrame({"unique_id": fit.ids, "ds": month, "mean": mean}))
    return pd.concat(rows, ignore_index=True)


def choose_blend(
    frame: pd.DataFrame, train_end: pd.Timestamp, candidates: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0)
) -> float:
    """The blend weight with the lowest MAE when the last 12 training months are predicted
    from the 12 before them."""
    inner_end = train_end - pd.DateOffset(months=12)
    truth = _wide(frame, inner_end, train_end)
    best, best_error = candidates[0], np.inf
    for blend in candidates:
        fit = fit_pooled_seasonal(frame, inner_end, blend, window=12)
        pred = predict_pooled_seasonal(fit).pivot(index="unique_id", columns="ds", values="mean")
        common = pred.index.intersection(truth.dropna().index)
        error = float(np.nanmean(np.abs(pred.loc[common].to_numpy() - truth.loc[common, pred.columns].to_numpy())))
        if error < best_error:
            best, best_error = blend, error
    return best


def seasonal_naive_monthly(frame: pd.DataFrame, train_end: pd.Timestamp, horizon: int = 12) -> pd.DataFrame:
    """Same month last year, for the ``horizon`` months from ``train_end``."""
    last_year = _wide(frame, train_end - pd.DateOffset(months=12), train_end).dropna()
    rows = []
    for step in range(horizon):
        month = train_end + pd.DateOffset(months=step)
        rows.append(pd.DataFrame({"unique_id": last_year.index, "ds": month, "mean": last_year.iloc[:, step % 12]}))
    return pd.concat(rows, ignore_index=True)


def select_per_series(frame: pd.DataFrame, train_end: pd.Timestamp, blend: float) -> dict[str, str]:
    """Per series, ``"pooled"`` or ``"seasonal_naive"``: whichever had the lower MAE when the
    last training year was forecast from the year before it (model selection by backtest)."""
    inner_end = train_end - pd.DateOffset(months=12)
    truth = _wide(frame, inner_end, train_end)
    pooled = predict_pooled_seasonal(fit_pooled_seasonal(frame, inner_end, blend, window=12))
    naive = seasonal_naive_monthly(frame, inner_end)
    errors: dict[str, dict[str, float]] = {}
    for name, table in (("pooled", pooled), ("seasonal_naive", naive)):
        wide = table.pivot(index="unique_id", columns="ds", values="mean")
        common = wide.index.intersection(truth.dropna().index)
        diff = np.abs(wide.loc[common].to_numpy() - truth.loc[common, wide.columns].to_numpy())
        for uid, error in zip(common, diff.mean(axis=1), strict=True):
            errors.setdefault(str(uid), {})[name] = float(error)
    return {uid: min(scores, key=lambda key: scores[key]) for uid, scores in errors.items()}
