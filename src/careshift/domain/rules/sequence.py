"""Runs of days: consecutive working days, consecutive same shift, consecutive days off.

Border rules (INRC-II Appendix B; Curtois–Qu): with history, the history's counters
continue into the first days and only the extra violation is charged; a run still open
at the end of the horizon is never charged for being *too short* (but is for too long).
Without history (``problem.history is None``), a run touching the first day is not
charged for being too short either.

Amount: days outside ``[minimum, maximum]``, per run: ``minimum - length`` for a short
run, ``length - maximum`` for a long one. ``None`` disables that side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class ConsecutiveWorkingDays(RuleSpec):
    """Working-day runs between ``minimum`` and ``maximum`` days (INRC-II S2b, Curtois 5–6)."""

    family: ClassVar[str] = "consecutive_working_days"
    title: ClassVar[str] = "Consecutive working days"
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ConsecutiveSameShift(RuleSpec):
    """Runs of ``shift`` on consecutive days between ``minimum`` and ``maximum`` (INRC-II S2a)."""

    family: ClassVar[str] = "consecutive_same_shift"
    title: ClassVar[str] = "Consecutive same shift"
    shift: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ConsecutiveDaysOff(RuleSpec):
    """Runs of days off between ``minimum`` and ``maximum`` days (INRC-II S3, Curtois 7)."""

    family: ClassVar[str] = "consecutive_days_off"
    title: ClassVar[str] = "Consecutive days off"
    minimum: int | None = None
    maximum: int | None = None
