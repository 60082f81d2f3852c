"""Stored census forecasts as the planner's cover source (``CensusForecasts`` over the repository).

``careshift forecast predict --unit`` (and ``careshift demo``) store forecast runs; this
adapter hands the planner the **latest stored census run** of a unit, as census quantiles
at :data:`~careshift.service.unit_cover.LEVELS` for each 15-minute interval start:

- an interval start takes the run's period that contains it (hourly runs: the hour it
  falls in);
- **p50** is the run's 0.5 quantile, or its mean when the run stored no 0.5 quantile;
- **p90** is the run's 0.9 quantile, or else the upper end of its central 80 % interval
  (which is the 0.9 quantile by definition, ``hi-80``). A run with neither is not used.

A run is used only when it covers every interval the planning horizon needs, with no gap.
Otherwise no numbers are invented for the missing periods: the planner is told why, and
falls back to the naive forecast from the stored census with that reason in the
recommendation's context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from careshift.domain.errors import DomainError
from careshift.forecast.metrics import FloatArray
from careshift.service.forecasts import ForecastPoint, StoredForecast
from careshift.service.repositories import UnitOfWorkFactory
from careshift.service.unit_cover import LEVELS, QuantileSource

RUNS_SEARCHED = 10
"""How many of a unit's newest runs are searched for a census run (staff-only runs are skipped)."""


@dataclass(frozen=True)
class StoredCensus:
    """Census quantiles from a stored run for the planner, the run's id, and a few words on
    the run (model, when it was made) for the recommendation's context."""

    quantiles: QuantileSource
    run: str
    about: str = ""


@dataclass(frozen=True)
class PeriodQuantiles:
    """Census quantiles at :data:`LEVELS` per run period; callable on interval starts (a
    ``QuantileSource``). A start outside the run is an error, never a guess."""

    run: str
    first: datetime
    step: timedelta
    rows: tuple[tuple[float, float], ...]

    def period_of(self, start: datetime) -> int:
        """Index of the run period containing ``start`` (``DomainError`` outside the run)."""
        index = (start.astimezone(UTC) - self.first) // self.step
        if not 0 <= index < len(self.rows):
            last = self.first + self.step * len(self.rows)
            raise DomainError(
                f"stored forecast run {self.run} covers {self.first.isoformat()} to {last.isoformat()}, "
                f"not {start.isoformat()}; store a run that covers the planning horizon"
            )
        return int(index)

    def __call__(self, starts: Sequence[datetime]) -> FloatArray:
        if not starts:
            return np.zeros((0, len(LEVELS)))
        return np.asarray([self.rows[self.period_of(start)] for start in starts], dtype=float)


def census_levels(point: ForecastPoint) -> tuple[float, float] | None:
    """(p50, p90) of one census period: the 0.5 quantile or the mean; the 0.9 quantile or
    the upper end of the 80 % interval. ``None`` when the period has neither for p90."""
    if 0.9 in point.quantiles:
        p90 = point.quantiles[0.9]
    elif 80 in point.intervals:
        p90 = point.intervals[80][1]
    else:
        return None
    return point.median, p90


def usable(run: StoredForecast, start: datetime, end: datetime) -> PeriodQuantiles | str:
    """The run's census quantiles when its periods cover ``[start, end)`` without a gap, else
    the reason it cannot be planned with (for the recommendation's context)."""
    step = timedelta(minutes=run.step_minutes)
    census = {p.start.astimezone(UTC): p for p in run.points if p.skill is None}
    if not census:
        return f"stored forecast run {run.id} holds no census periods"
    first, last = min(census), max(census)
    if first > start.astimezone(UTC) or last + step < end.astimezone(UTC):
        return (
            f"stored forecast run {run.id} covers {first.isoformat()} to {(last + step).isoformat()}, "
            f"not the planning horizon {start.astimezone(UTC).isoformat()} to {end.astimezone(UTC).isoformat()}"
        )
    rows: list[tuple[float, float]] = []
    # Only the periods from the run's first to the one holding the horizon's last start matter.
    stop = first + step * ((end.astimezone(UTC) - timedelta(microseconds=1) - first) // step)
    cursor = first
    while cursor <= stop:
        point = census.get(cursor)
        if point is None:
            return f"stored forecast run {run.id} has no period at {cursor.isoformat()} inside the planning horizon"
        levels = census_levels(point)
        if levels is None:
            return (
                f"stored forecast run {run.id} has neither a 0.9 quantile nor an 80 % interval at "
                f"{cursor.isoformat()}, so it sets no p90 cover target"
            )
        rows.append(levels)
        cursor += step
    return PeriodQuantiles(run.id, first, step, tuple(rows))


class StoredCensusForecasts:
    """``CensusForecasts`` over the forecast repository: the unit's latest stored census run
    (see the module docstring)."""

    def __init__(self, reader: UnitOfWorkFactory) -> None:
        self._reader = reader

    def latest_census_run(self, unit: str) -> StoredForecast | None:
        """The unit's newest run whose target is the census."""
        with self._reader() as work:
            runs = work.forecasts.for_unit(unit, limit=RUNS_SEARCHED)
        return next((run for run in runs if run.target == "census"), None)

    def census_quantiles(self, unit: str, start: datetime, end: datetime) -> StoredCensus | str:
        """The latest census run's quantiles for ``[start, end)``, or why there are none."""
        run = self.latest_census_run(unit)
        if run is None:
            return f"no stored forecast for {unit}"
        found = usable(run, start, end)
        if isinstance(found, str):
            return found
        about = f"{run.model_version}, generated {run.generated_at.isoformat()}, data quality {run.quality_verdict}"
        return StoredCensus(found, run.id, about)
