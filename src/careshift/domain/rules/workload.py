"""How much each person works: counts per shift type, total assignments, minutes,
and minutes in rolling windows (24 h / 7 d / 14 d caps such as Oregon's 12 h in 24 h)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class ShiftTypeCount(RuleSpec):
    """Assignments of ``shift`` over the horizon between ``minimum`` and ``maximum``
    (Curtois MaxShifts). Amount: assignments outside the range, per staff."""

    family: ClassVar[str] = "shift_type_count"
    title: ClassVar[str] = "Shifts of one type"
    shift: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class AssignmentCount(RuleSpec):
    """Total assignments over the horizon (plus history's total) between ``minimum`` and
    ``maximum`` (INRC-II S6). Amount: assignments outside the range, per staff."""

    family: ClassVar[str] = "assignment_count"
    title: ClassVar[str] = "Total assignments"
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class WorkedMinutes(RuleSpec):
    """Minutes worked over the horizon between ``minimum`` and ``maximum`` (Curtois 4).
    Amount: minutes outside the range, per staff."""

    family: ClassVar[str] = "worked_minutes"
    title: ClassVar[str] = "Worked minutes over the horizon"
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class RollingWorkedMinutes(RuleSpec):
    """At most ``maximum`` minutes worked in any window of ``window_hours`` (24, 168, 336).

    Windows slide on the 15-minute grid over real shift intervals (clock times needed);
    for shift types without clock times, windows of ``window_hours / 24`` days over
    nominal minutes. Amount: minutes over the cap in the worst window, per staff and
    window start day (one finding per day on which a breaching window starts).
    """

    family: ClassVar[str] = "rolling_worked_minutes"
    title: ClassVar[str] = "Worked minutes in a rolling window"
    window_hours: int = 168
    maximum: int = 48 * 60
