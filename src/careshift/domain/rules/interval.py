"""Cover and nurse-to-patient ratios per 15-minute interval, holding during breaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class IntervalCoverRule(RuleSpec):
    """Staff on duty per 15-minute interval against ``problem.interval_cover``.

    ``level`` is ``"floor"`` (hard: people below floor) or ``"target"`` (soft: below
    target × ``weight_under``, above cap × ``weight_over``). On-duty staff are those whose
    shift interval overlaps the whole 15 minutes, less those on break when
    ``break_relief`` is False (see ``NurseToPatientRatio``).
    """

    family: ClassVar[str] = "interval_cover"
    title: ClassVar[str] = "Cover per 15 minutes"
    level: str = "floor"


@dataclass(frozen=True)
class NurseToPatientRatio(RuleSpec):
    """At every 15-minute interval, nurses counted on the unit ≥ ceil(census / ratio)
    plus the census's acuity extra (California Title 22 §70217, Oregon HB 2697).

    ``patients_per_nurse`` maps unit type (``icu``, ``med_surg``, …) to the ratio's
    patient count; units of types not listed are not bound. ``roles`` are the roles
    that count (licensed nurses by default). Breaks: every shift of at least
    ``break_after_hours`` takes ``break_minutes`` inside its middle; the ratio must hold
    *during* breaks, so a nurse on break does not count (no "buddy break").
    Amount: nurses missing, per unit and interval. Hard.
    """

    family: ClassVar[str] = "nurse_to_patient_ratio"
    title: ClassVar[str] = "Nurse-to-patient ratio"
    patients_per_nurse: Mapping[str, int] = field(default_factory=dict)
    roles: frozenset[str] = frozenset({"RN"})
    break_minutes: int = 30
    break_after_hours: float = 6.0
