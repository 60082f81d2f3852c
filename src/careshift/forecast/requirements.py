"""Staff needed per unit, skill and 15-minute interval, from census quantiles.

For each interval and skill:

- ``floor`` (hard, law or policy) = ``max(min_staff, ceil(median census × acuity / ratio))``:
  the ratio applied to the census we expect;
- ``target`` (soft) = ``max(floor, ceil(census at the unit's risk level × acuity / ratio))``:
  with risk level p90 the unit is staffed for a census it exceeds one interval in ten.

``acuity`` multiplies the census (1.0 = the ratio's reference patient mix; 1.25 = a quarter
more nursing work per patient), per interval or for the whole horizon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from careshift.domain.demand import IntervalCover
from careshift.domain.errors import ForecastInputError
from careshift.forecast.metrics import FloatArray

RISK_LEVELS = {"median": 0.5, "p50": 0.5, "p75": 0.75, "p90": 0.9}


def risk_probability(risk: str | float) -> float:
    """``"median"``, ``"p75"``, ``"p90"`` or an explicit probability in [0.5, 1)."""
    if isinstance(risk, str):
        if risk.lower() not in RISK_LEVELS:
            raise ForecastInputError(f"unknown risk level {risk!r}; use median, p75, p90 or a probability such as 0.8")
        return RISK_LEVELS[risk.lower()]
    if not 0.5 <= risk < 1:
        raise ForecastInputError(f"risk probability must be in [0.5, 1), got {risk}")
    return float(risk)


@dataclass(frozen=True)
class SkillRatio:
    """One skill's ratio rule: at most ``patients_per_staff`` patients per person of ``skill``."""

    skill: str
    patients_per_staff: float
    min_staff: int = 0
    role: str | None = None

    def __post_init__(self) -> None:
        if self.patients_per_staff <= 0:
            raise ForecastInputError(f"ratio for {self.skill}: patients per staff must be positive")
        if self.min_staff < 0:
            raise ForecastInputError(f"ratio for {self.skill}: min_staff must be >= 0")


def _staff(census: FloatArray, acuity: FloatArray, ratio: float) -> FloatArray:
    # a hair of tolerance so that 8.0000001 patients at 1:4 does not demand a third nurse
    return np.ceil(census * acuity / ratio - 1e-9)


def census_at(quantiles: FloatArray, levels: Sequence[float], probability: float) -> FloatArray:
    """The census quantile at ``probability`` (interpolated between the nearest levels)."""
    grid = np.asarray(levels, dtype=float)
    if probability < grid[0] - 1e-9 or probability > grid[-1] + 1e-9:
        raise ForecastInputError(f"risk level {probability} is outside the forecast's levels {grid[0]}…{grid[-1]}")
    out = np.array([np.interp(probability, grid, row) for row in quantiles])
    return np.asarray(out, dtype=float)


def interval_requirements(
    unit: str,
    starts: Sequence[datetime],
    census_quantiles: FloatArray,
    levels: Sequence[float],
    ratios: Sequence[SkillRatio],
    risk: str | float = "median",
    acuity: float | Sequence[float] = 1.0,
    weight_under: int = 1,
) -> list[IntervalCover]:
    """Floor and target staff per interval and skill as domain ``IntervalCover`` objects.

    ``starts`` are the intervals' aware start instants (on the 15-minute grid) and
    ``census_quantiles[i]`` the census quantiles of interval ``i`` at ``levels``.
    """
    if len(starts) != len(census_quantiles):
        raise ForecastInputError(f"{len(starts)} interval starts but {len(census_quantiles)} census rows")
    probability = risk_probability(risk)
    factor = np.broadcast_to(np.asarray(acuity, dtype=float), (len(starts),))
    if (factor <= 0).any():
        raise ForecastInputError("acuity multipliers must be positive (1.0 = reference patient mix)")
    median = census_at(census_quantiles, levels, 0.5)
    at_risk = census_at(census_quantiles, levels, probability)
    covers: list[IntervalCover] = []
    for rule in ratios:
        floor = np.maximum(rule.min_staff, _staff(median, factor, rule.patients_per_staff))
        target = np.maximum(floor, _staff(at_risk, factor, rule.patients_per_staff))
        for index, start in enumerate(starts):
            covers.append(
                IntervalCover(
                    unit=unit,
                    start=start,
                    floor=int(floor[index]),
                    target=int(target[index]),
                    skill=rule.skill,
                    role=rule.role,
                    weight_under=weight_under,
                )
            )
    return covers


def staff_for(census: float, ratio: SkillRatio, acuity: float = 1.0) -> int:
    """People of the rule's skill needed for ``census`` patients at ``acuity``."""
    return max(ratio.min_staff, math.ceil(census * acuity / ratio.patients_per_staff - 1e-9))
