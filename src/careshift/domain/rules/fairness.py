"""Fairness of nights, weekends and holidays across staff, and the cost of change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class FairShare(RuleSpec):
    """Spread the ``kind`` of work (``nights``, ``weekends`` or ``holidays``) evenly over
    the staff in scope, in proportion to their contract FTE.

    Amount: ``max − min`` of per-person counts (one finding per rule). Soft. The spread
    is linear, so the engine optimises it exactly.
    """

    family: ClassVar[str] = "fair_share"
    title: ClassVar[str] = "Fair share"
    kind: str = "nights"


@dataclass(frozen=True)
class ChangeCost(RuleSpec):
    """Penalise changes against ``problem.reference`` (stability during repair).

    Amount: 1 per assignment added or removed relative to the reference. Soft.
    """

    family: ClassVar[str] = "change_cost"
    title: ClassVar[str] = "Change against the current schedule"
