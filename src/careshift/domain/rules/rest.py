"""Rest between shifts: forbidden successions, minimum rest hours, recovery after nights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from careshift.domain.rules.base import RuleSpec


@dataclass(frozen=True)
class ForbiddenSuccessions(RuleSpec):
    """Shift ``b`` may not be worked the day after shift ``a`` (INRC-II H3, Curtois hard 2).

    The forbidden pairs are each shift type's ``forbidden_next`` plus ``extra_pairs``.
    With history, the last shift before the horizon counts against day one.
    Amount: 1 per forbidden pair worked. Usually hard.
    """

    family: ClassVar[str] = "forbidden_successions"
    title: ClassVar[str] = "Forbidden shift succession"
    extra_pairs: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class MinRestBetweenShifts(RuleSpec):
    """At least ``hours`` between the end of one shift and the start of the next
    (10 h in many contracts, 11 h under the EU Working Time Directive).

    Uses real clock times (DST-aware); shift types without clock times are skipped.
    Amount: minutes of rest missing, per pair of consecutive shifts.
    """

    family: ClassVar[str] = "min_rest_between_shifts"
    title: ClassVar[str] = "Minimum rest between shifts"
    hours: float = 10.0


@dataclass(frozen=True)
class RestAfterNightBlock(RuleSpec):
    """After a block of night shifts, at least ``hours`` off before the next shift
    (48 h in many union contracts). Nights are shift types tagged ``night``.

    Amount: minutes of rest missing after the block (clock times), or, when shift types
    carry no clock times, 1 per day off missing from the ``hours / 24`` whole days.
    """

    family: ClassVar[str] = "rest_after_night_block"
    title: ClassVar[str] = "Rest after a block of nights"
    hours: float = 48.0
