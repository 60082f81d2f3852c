"""Cover per shift from census, through the forecast's requirements path (no I/O).

The engine plans whole shifts, while ratios hold on every 15-minute interval. So the cover
of a shift is the *largest* need of any interval it spans: a D shift on a unit whose census
peaks at 16:00 must carry the 16:00 need all day. Each interval's need comes from
:func:`careshift.forecast.requirements.interval_requirements` (the ratio applied to the
census median for the floor and to the census at the risk level for the target).

Where no forecast is stored, a *naive* one is made from the stored census: each interval
of the horizon gets the census observed at the same time of day over the last day, with
Poisson quantiles around it (census is a count of arrivals still in their stay, whose
spread grows like its square root). Where the store holds no census either, the unit's
coverage template stands in: every bed occupied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from careshift.domain.demand import ShiftCover
from careshift.domain.time import zone
from careshift.domain.timeline import full_grid
from careshift.domain.workforce import ShiftType
from careshift.forecast.metrics import FloatArray
from careshift.forecast.requirements import SkillRatio, interval_requirements

LEVELS = (0.5, 0.9)
Z_90 = 1.2816
"""The standard normal quantile at 0.9, for the Poisson approximation of the p90 census."""

QuantileSource = Callable[[Sequence[datetime]], FloatArray]
"""Census quantiles at :data:`LEVELS`, one row per interval start."""


@dataclass(frozen=True)
class CoverNeed:
    """One kind of cover a shift needs: a ratio to the census, or a fixed count.

    ``skill`` is the cover skill of the planning problem (``licensed``, ``cna``,
    ``charge``, ``triage``); ``extra_target`` adds people above the ratio's target (break
    relief, admissions) and ``cap_margin`` sets the cap above the target. A ratio that is
    not law (``floor_from_ratio=False``, e.g. assistants) sets only the target; the floor
    stays at ``min_staff``.
    """

    skill: str
    patients_per_staff: float | None = None
    fixed_floor: int = 0
    fixed_target: int = 0
    min_staff: int = 0
    extra_target: int = 0
    cap_margin: int = 2
    floor_from_ratio: bool = True


def naive_quantiles(observed: Mapping[time, int], starts: Sequence[datetime], timezone: str) -> FloatArray:
    """Census quantiles at :data:`LEVELS` for ``starts``: the census observed at the same
    local time of day (``observed``, keyed by local wall-clock time), p90 by the Poisson
    approximation ``λ + z·√λ``. A time missing from ``observed`` (the DST gap) takes the
    nearest earlier observed time."""
    tz = zone(timezone)
    ordered = sorted(observed)
    rows: list[tuple[float, float]] = []
    for start in starts:
        local = start.astimezone(tz).time()
        earlier = [moment for moment in ordered if moment <= local]
        key = earlier[-1] if earlier else ordered[-1]
        median = float(observed[key])
        rows.append((median, median + Z_90 * math.sqrt(median)))
    return np.asarray(rows, dtype=float)


def full_unit_quantiles(beds: int, starts: Sequence[datetime]) -> FloatArray:
    """The coverage template's census: every bed occupied, with no uncertainty."""
    return np.full((len(starts), len(LEVELS)), float(beds))


def shift_cover(
    unit: str,
    days: Sequence[date],
    shifts: Sequence[ShiftType],
    timezone: str,
    needs: Sequence[CoverNeed],
    quantiles_for: QuantileSource,
    risk: str = "p90",
) -> tuple[ShiftCover, ...]:
    """One ``ShiftCover`` per day, shift and need: the largest interval floor and target
    over the shift's span (ratios hold at all times), fixed counts as given."""
    spans = [(day, shift, full_grid(shift.interval_on(day, timezone))) for day in days for shift in shifts]
    starts = sorted({start for _, _, grid in spans for start in grid})
    quantiles = quantiles_for(starts)
    ratios = [
        SkillRatio(need.skill, need.patients_per_staff, need.min_staff)
        for need in needs
        if need.patients_per_staff is not None
    ]
    per_interval: dict[tuple[str, datetime], tuple[int, int]] = {}
    if ratios and starts:
        for item in interval_requirements(unit, starts, quantiles, LEVELS, ratios, risk=risk):
            per_interval[(item.skill or "", item.start)] = (item.floor, item.target)
    cover: list[ShiftCover] = []
    for day, shift, grid in spans:
        for need in needs:
            if need.patients_per_staff is None:
                floor, target = need.fixed_floor, need.fixed_target
            else:
                found = [per_interval[(need.skill, start)] for start in grid]
                floor = max((f for f, _ in found), default=need.min_staff)
                target = max((t for _, t in found), default=floor) + need.extra_target
                floor = floor if need.floor_from_ratio else need.min_staff
            if target == 0 and floor == 0:
                continue
            cover.append(
                ShiftCover(day, shift.id, floor=floor, target=target, cap=target + need.cap_margin, skill=need.skill)
            )
    return tuple(cover)
