"""Demand-trigger thresholds: when a census spike or an ED surge asks for a roster repair.

Data, like rules: the policy pack's ``triggers:`` section sets them per unit
(:mod:`careshift.policy.triggers`); :mod:`careshift.service.triggers` evaluates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class UnitTriggers:
    """One unit's thresholds; ``None`` switches a test off.

    - census rise: at least ``census_rise_patients`` more patients, or ``census_rise_percent``
      % more than a census of at least ``census_min_patients``, within ``census_window``;
    - ED surge: more than ``ed_arrivals_per_hour`` emergency arrivals in an hour;
    - a crossing repairs ``repair_days`` days from the event's day.
    """

    census_rise_patients: int | None = 4
    census_rise_percent: float | None = 20.0
    census_min_patients: int = 5
    census_window: timedelta = timedelta(hours=2)
    ed_arrivals_per_hour: int | None = 10
    repair_days: int = 2


@dataclass(frozen=True)
class TriggerPolicy:
    """Thresholds per unit; a unit without an entry gets ``defaults``."""

    defaults: UnitTriggers = field(default_factory=UnitTriggers)
    units: Mapping[str, UnitTriggers] = field(default_factory=dict)

    def for_unit(self, unit: str) -> UnitTriggers:
        return self.units.get(unit, self.defaults)
