"""One series as arrays, with the calendar the models and baselines share.

Models work on positions ``t`` (0 … n-1) of a regular series. A forecast made at origin
``t0`` for horizon ``h`` targets position ``t0 + h`` and may use ``y[: t0 + 1]`` only; the
target's calendar and exogenous values are known in advance (holidays; temperature only if
you have a forecast of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from careshift.domain.errors import ForecastInputError
from careshift.forecast.frames import infer_freq, local_clock, single_series
from careshift.forecast.metrics import FloatArray

IntArray = npt.NDArray[np.int64]


def holiday_flags(local: pd.Series, country: str | None, subdiv: str | None = None) -> FloatArray:
    """1.0 on public holidays of ``country`` (``holidays`` package), else 0.0."""
    if country is None:
        return np.zeros(len(local))
    import holidays

    years = sorted({int(year) for year in local.dt.year.unique()})
    try:
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=years)
    except NotImplementedError as exc:
        raise ForecastInputError(f"no holiday calendar for {country!r}/{subdiv!r}; use an ISO code such as US") from exc
    days = local.dt.date
    return np.asarray([1.0 if day in calendar else 0.0 for day in days], dtype=float)


@dataclass
class Series:
    """A regular series as arrays: counts, local calendar, exogenous columns."""

    unique_id: str
    ds: pd.Series
    y: FloatArray
    step_minutes: int
    exog: FloatArray
    exog_names: tuple[str, ...]
    country: str | None = None
    subdiv: str | None = None
    holiday: FloatArray = field(init=False)
    position: IntArray = field(init=False)
    season: int = field(init=False)

    def __post_init__(self) -> None:
        local = local_clock(self.ds)
        self.holiday = holiday_flags(local, self.country, self.subdiv)
        minutes = local.dt.dayofweek.to_numpy() * 1440 + local.dt.hour.to_numpy() * 60 + local.dt.minute.to_numpy()
        self.position = (minutes // self.step_minutes).astype(np.int64)
        self.season = max(1, 7 * 1440 // self.step_minutes)
        self._cum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(self.y))])

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def steps_per_hour(self) -> float:
        return 60 / self.step_minutes

    def local(self) -> pd.Series:
        return local_clock(self.ds)

    def trailing_sum(self, t0: IntArray, window: int) -> tuple[FloatArray, FloatArray]:
        """(sum, count) of ``y`` over the ``window`` steps ending at ``t0`` inclusive."""
        lo = np.maximum(t0 - window + 1, 0)
        return self._cum[t0 + 1] - self._cum[lo], (t0 + 1 - lo).astype(float)

    def extended(self, steps: int) -> Series:
        """This series with ``steps`` future periods appended (y unknown: NaN, exog carried)."""
        if steps <= 0:
            return self
        offset = pd.Timedelta(minutes=self.step_minutes)
        future = pd.Series([self.ds.iloc[-1] + offset * (k + 1) for k in range(steps)])
        ds = pd.concat([self.ds, future], ignore_index=True)
        exog = np.vstack([self.exog, np.repeat(self.exog[-1:], steps, axis=0)]) if self.exog.size else self.exog
        return Series(
            unique_id=self.unique_id,
            ds=ds,
            y=np.concatenate([self.y, np.full(steps, np.nan)]),
            step_minutes=self.step_minutes,
            exog=exog.reshape(len(ds), -1) if exog.size else np.zeros((len(ds), 0)),
            exog_names=self.exog_names,
            country=self.country,
            subdiv=self.subdiv,
        )


def series_from_frame(
    frame: pd.DataFrame,
    unique_id: str | None = None,
    *,
    exog: Sequence[str] = (),
    country: str | None = None,
    subdiv: str | None = None,
) -> Series:
    """Arrays for one series of a validated long frame (see :func:`frames.validate_frame`)."""
    part = single_series(frame, unique_id)
    absent = [col for col in exog if col not in part.columns]
    if absent:
        raise ForecastInputError(f"exogenous column(s) {absent} not in the frame; it has {list(part.columns)}")
    step = infer_freq(part["ds"])
    step_minutes = int(step.total_seconds() // 60)
    if step_minutes <= 0 or 1440 % step_minutes and step_minutes % 1440:
        raise ForecastInputError(f"step of {step} does not divide a day; resample to 15 min, 1 h or 1 day")
    exog_values: Any = part[list(exog)].to_numpy(dtype=float) if exog else np.zeros((len(part), 0))
    if exog and np.isnan(exog_values).any():
        rows = np.where(np.isnan(exog_values).any(axis=1))[0][:5]
        raise ForecastInputError(f"exogenous values missing at series row(s) {list(rows)}; fill or drop the column")
    return Series(
        unique_id=str(part["unique_id"].iloc[0]),
        ds=part["ds"].reset_index(drop=True),
        y=part["y"].to_numpy(dtype=float),
        step_minutes=step_minutes,
        exog=exog_values,
        exog_names=tuple(exog),
        country=country,
        subdiv=subdiv,
    )
