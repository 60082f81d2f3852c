"""Fixed days off and approved leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class DaysOffRespected(RuleSpec):
    """No work on a staff member's fixed days off or leave (``problem.days_off``;
    Curtois 9). Amount: 1 per assignment on such a day. Usually hard."""

    family: ClassVar[str] = "days_off"
    title: ClassVar[str] = "Fixed days off and leave"
