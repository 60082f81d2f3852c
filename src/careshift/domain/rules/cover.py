"""Cover per shift (``problem.cover``): a hard floor and a soft target and cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class CoverFloor(RuleSpec):
    """At least ``floor`` staff per (day, shift, skill, unit) line (INRC-II H2). An
    assignment counts for the line whose skill equals its ``skill`` (any assignment when
    the line's skill is None) and whose unit matches (or is None).
    Amount: people missing below the floor. Hard."""

    family: ClassVar[str] = "cover_floor"
    title: ClassVar[str] = "Minimum cover"


@dataclass(frozen=True)
class CoverTarget(RuleSpec):
    """Staff per line at ``target`` and no more than ``cap`` (INRC-II S1; Curtois cover).
    Amount: people missing below target (factor ``weight_under``) and people above the
    cap (factor ``weight_over``). Soft."""

    family: ClassVar[str] = "cover_target"
    title: ClassVar[str] = "Optimal cover"
