"""Rest between shifts: forbidden successions, minimum rest hours, recovery after nights."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


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

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        pairs = set(self.extra_pairs)
        for shift in ctx.problem.shift_types:
            pairs.update((shift.id, following) for following in shift.forbidden_next)
        if not pairs:
            return
        first_day = ctx.problem.horizon.start
        one_day = timedelta(days=1)
        for member in ctx.staff_in_scope(rule):
            worked = ctx.by_staff_day.get(member.id, {})
            history = ctx.problem.history_of(member.id)
            for day, items in worked.items():
                if not rule.in_effect(day):
                    continue
                if day == first_day:
                    last = history.last_shift if history is not None else None
                    previous: tuple[str, ...] = (last,) if last else ()
                else:
                    previous = tuple(item.shift for item in worked.get(day - one_day, ()))
                for before in previous:
                    for item in items:
                        if (before, item.shift) in pairs:
                            yield Finding(
                                amount=1,
                                staff=member.id,
                                day=day,
                                detail=f"{item.shift} the day after {before}",
                            )


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
