"""Risk of a roster: how likely the ratio is breached, and by how much.

Given the staff a roster puts on the unit per 15-minute interval and census sample paths,
a breach is an interval where the census exceeds ``staff × patients_per_staff``. Over the
horizon we report the probability of at least one breach, the expected number of breached
intervals and the expected uncovered patient-hours (patients above capacity × 0.25 h).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from careshift.domain.errors import ForecastInputError
from careshift.domain.schedule import Assignment
from careshift.domain.time import GRID, Interval, require_aware
from careshift.domain.workforce import ShiftType
from careshift.forecast.metrics import FloatArray

INTERVAL_HOURS = GRID.total_seconds() / 3600


@dataclass(frozen=True)
class RosterRisk:
    """Ratio risk of one unit's roster over a horizon of 15-minute intervals."""

    unit: str
    intervals: int
    p_any_breach: float
    expected_breached_intervals: float
    expected_uncovered_patient_hours: float
    p_breach_by_interval: tuple[float, ...]

    @property
    def worst_interval(self) -> int:
        """Index of the interval most likely to breach."""
        return int(np.argmax(self.p_breach_by_interval)) if self.p_breach_by_interval else -1


def roster_risk(
    unit: str, staff_on_duty: Sequence[int] | FloatArray, census_paths: FloatArray, patients_per_staff: float
) -> RosterRisk:
    """Risk of a roster from its staff per interval and census paths ``[draws, intervals]``."""
    staff = np.asarray(staff_on_duty, dtype=float)
    paths = np.asarray(census_paths, dtype=float)
    if paths.ndim != 2 or paths.shape[1] != len(staff):
        raise ForecastInputError(
            f"census paths cover {paths.shape[-1]} intervals but the roster {len(staff)}; align them"
        )
    if patients_per_staff <= 0:
        raise ForecastInputError("patients per staff must be positive")
    excess = np.maximum(paths - staff[None, :] * patients_per_staff, 0.0)
    breached = excess > 1e-9
    return RosterRisk(
        unit=unit,
        intervals=len(staff),
        p_any_breach=float(breached.any(axis=1).mean()),
        expected_breached_intervals=float(breached.sum(axis=1).mean()),
        expected_uncovered_patient_hours=float(excess.sum(axis=1).mean() * INTERVAL_HOURS),
        p_breach_by_interval=tuple(float(v) for v in breached.mean(axis=0)),
    )


def staff_on_duty(
    assignments: Iterable[Assignment],
    shift_types: dict[str, ShiftType],
    timezone: str,
    starts: Sequence[datetime],
    unit: str | None = None,
    skill: str | None = None,
) -> list[int]:
    """Staff whose shift covers each whole 15-minute interval from ``starts`` (breaks ignored).

    Assignments for another ``unit`` or ``skill`` (when given) do not count.
    """
    counts = [0] * len(starts)
    windows = [Interval(start, start + GRID) for start in starts]
    for assignment in assignments:
        if unit is not None and assignment.unit not in (None, unit):
            continue
        if skill is not None and assignment.skill not in (None, skill):
            continue
        shift = shift_types.get(assignment.shift)
        if shift is None:
            raise ForecastInputError(f"assignment of {assignment.staff} uses unknown shift type {assignment.shift!r}")
        span = shift.interval_on(assignment.day, timezone)
        for index, window in enumerate(windows):
            if span.start <= window.start and window.end <= span.end:
                counts[index] += 1
    return counts


def interval_starts(first: datetime, count: int) -> list[datetime]:
    """``count`` consecutive 15-minute interval starts from ``first`` (UTC arithmetic, DST-safe)."""
    require_aware(first, "first interval start")
    utc = first.astimezone(UTC)
    return [(utc + GRID * k).astimezone(first.tzinfo) for k in range(count)]
