"""Weekends: how many are worked, and whether they are worked whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class MaxWorkingWeekends(RuleSpec):
    """At most ``maximum`` weekends worked (Saturday or Sunday or both), counting the
    history's total (INRC-II S7, Curtois 8). Amount: weekends over the maximum, per staff."""

    family: ClassVar[str] = "max_working_weekends"
    title: ClassVar[str] = "Working weekends"
    maximum: int = 2


@dataclass(frozen=True)
class CompleteWeekends(RuleSpec):
    """Work both days of a weekend or neither (INRC-II S5). Amount: 1 per weekend with
    exactly one of Saturday and Sunday worked."""

    family: ClassVar[str] = "complete_weekends"
    title: ClassVar[str] = "Complete weekends"
