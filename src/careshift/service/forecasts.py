"""Stored demand forecasts: what the planner was told to expect, kept so a scheduler can see it.

``careshift forecast predict --unit U --db URL`` stores each run; the API serves the latest
per unit (``GET /units/{unit}/forecasts``) and a plan records the id of the run it was made
under, so the forecast behind any recommendation can be shown later. A run is immutable:
a new prediction is a new run, never an edit of an old one.

Values follow the statsforecast convention: a ``mean``, quantiles by level and central
intervals by coverage (``lo-80``/``hi-80``). ``skill`` ``None`` means the unit's census
(patients); a skill means staff of that skill needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from careshift.domain.errors import DomainError
from careshift.domain.time import require_aware
from careshift.telemetry.audit import record

if TYPE_CHECKING:  # the repositories module names ForecastRepository in its unit of work
    from careshift.service.repositories import UnitOfWorkFactory

QUALITY_VERDICTS = ("ok", "warn", "block", "unknown")


@dataclass(frozen=True)
class ForecastPoint:
    """One period of a forecast for one skill (``None``: the census)."""

    start: datetime
    skill: str | None
    mean: float
    quantiles: Mapping[float, float] = field(default_factory=dict)
    intervals: Mapping[int, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self.start, "forecast period start")

    @property
    def median(self) -> float:
        return self.quantiles.get(0.5, self.mean)


@dataclass(frozen=True)
class StoredForecast:
    """One forecast run for a unit: its periods, the model and features behind it, and the
    data-quality verdict on the data it was fitted on (``unknown`` when none was assessed)."""

    id: str
    unit: str
    generated_at: datetime
    model_version: str
    feature_set: str
    points: tuple[ForecastPoint, ...]
    target: str = "census"
    step_minutes: int = 60
    quality_verdict: str = "unknown"
    quality_reason: str = ""

    def __post_init__(self) -> None:
        require_aware(self.generated_at, "forecast generated_at")
        if self.quality_verdict not in QUALITY_VERDICTS:
            raise DomainError(
                f"forecast {self.id}: quality verdict {self.quality_verdict!r} is not one of {QUALITY_VERDICTS}"
            )

    @property
    def first(self) -> datetime | None:
        return min((p.start for p in self.points), default=None)

    @property
    def last(self) -> datetime | None:
        return max((p.start for p in self.points), default=None)

    def width_80(self) -> float | None:
        """Mean width of the 80 % interval relative to the median (≥ 1 patient, so a quiet
        night does not look infinitely uncertain); ``None`` without 80 % intervals."""
        widths = [
            (hi - lo) / max(p.median, 1.0) for p in self.points if 80 in p.intervals for lo, hi in [p.intervals[80]]
        ]
        return sum(widths) / len(widths) if widths else None


def staff_needed(census: tuple[ForecastPoint, ...], skill: str, patients_per_staff: float) -> tuple[ForecastPoint, ...]:
    """Staff of ``skill`` needed at a ratio of ``patients_per_staff``, from census points.

    ``ceil(census / ratio)`` is monotone, so the census quantiles and interval bounds map to
    the staff quantiles and bounds exactly; the mean is the expected load (not rounded).
    """
    if patients_per_staff <= 0:
        raise DomainError(f"ratio for {skill}: patients per staff must be positive, got {patients_per_staff}")

    def people(patients: float) -> float:
        # a hair of tolerance so that 8.0000001 patients at 1:4 does not demand a third nurse
        return float(math.ceil(patients / patients_per_staff - 1e-9))

    return tuple(
        ForecastPoint(
            start=p.start,
            skill=skill,
            mean=p.mean / patients_per_staff,
            quantiles={level: people(value) for level, value in p.quantiles.items()},
            intervals={c: (people(lo), people(hi)) for c, (lo, hi) in p.intervals.items()},
        )
        for p in census
        if p.skill is None
    )


class ForecastRepository(Protocol):
    def add(self, forecast: StoredForecast) -> None:
        """Store a new run (``ConflictError`` if its id exists)."""
        ...

    def get(self, forecast_id: str) -> StoredForecast | None: ...

    def for_unit(self, unit: str, limit: int = 20) -> list[StoredForecast]:
        """The unit's runs, newest ``generated_at`` first."""
        ...


def store_forecast(uow: UnitOfWorkFactory, forecast: StoredForecast, *, actor: str, at: datetime) -> None:
    """Store a forecast run and its audit entry in one transaction."""
    with uow() as work:
        work.forecasts.add(forecast)
        record(
            work.audit,
            at=at,
            actor=actor,
            scope=f"staffing.admin@{forecast.unit}",
            action="forecast.stored",
            payload={
                "forecast": forecast.id,
                "model_version": forecast.model_version,
                "feature_set": forecast.feature_set,
                "periods": len(forecast.points),
                "quality_verdict": forecast.quality_verdict,
            },
        )
        work.commit()


# -- JSON codec (the SQL store keeps the periods as one JSON document per run) ------------------


def points_to_json(points: tuple[ForecastPoint, ...]) -> list[dict[str, Any]]:
    return [
        {
            "start": p.start.isoformat(),
            "skill": p.skill,
            "mean": p.mean,
            "quantiles": {f"{level:g}": value for level, value in p.quantiles.items()},
            "intervals": {str(coverage): list(bounds) for coverage, bounds in p.intervals.items()},
        }
        for p in points
    ]


def points_from_json(raw: list[dict[str, Any]]) -> tuple[ForecastPoint, ...]:
    return tuple(
        ForecastPoint(
            start=datetime.fromisoformat(item["start"]),
            skill=item["skill"],
            mean=float(item["mean"]),
            quantiles={float(level): float(value) for level, value in item["quantiles"].items()},
            intervals={int(coverage): (float(lo), float(hi)) for coverage, (lo, hi) in item["intervals"].items()},
        )
        for item in raw
    )
