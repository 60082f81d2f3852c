"""Day-by-day helpers shared by the day-based rule families (runs, scoped staff, dates).

Kept private: the public meaning of each rule lives in its family's ``violations``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext
    from careshift.domain.rules.base import Rule


@dataclass(frozen=True)
class RunBreach:
    """A run of days outside ``[minimum, maximum]``: ``end`` is its last day's index in the
    horizon (or ``-1`` for a run that ended the day before the horizon); ``amount`` days."""

    end: int
    amount: int
    length: int
    short: bool


def run_breaches(
    flags: Sequence[bool],
    *,
    before: int,
    history_known: bool,
    minimum: int | None,
    maximum: int | None,
) -> Iterator[RunBreach]:
    """Runs of ``True`` in ``flags`` that are too short or too long, with the border rules.

    ``before`` is how many days of the same run were already done just before day 0
    (the history's counter; 0 when the day before was in the other state).

    - Too long: ``length - maximum`` days, where the run includes ``before``; for a run
      continuing from history only the extra beyond what history already broke is charged.
    - Too short: ``minimum - length`` days, only for a run closed on both sides. A run open
      at the end of the horizon is not charged; without history
      a run touching day 0 is not charged either. With history, a run that history left
      open and that stops right at day 0 is charged at the border (``end == -1``).
    """
    horizon = len(flags)
    if history_known and before > 0 and minimum is not None and (horizon == 0 or not flags[0]):
        if before < minimum:
            yield RunBreach(end=-1, amount=minimum - before, length=before, short=True)
    day = 0
    while day < horizon:
        if not flags[day]:
            day += 1
            continue
        start = day
        while day < horizon and flags[day]:
            day += 1
        end = day - 1
        prior = before if start == 0 and history_known else 0
        length = prior + (end - start + 1)
        if maximum is not None and length > maximum:
            extra = (length - maximum) - max(0, prior - maximum)
            if extra > 0:
                yield RunBreach(end=end, amount=extra, length=length, short=False)
        if minimum is not None and length < minimum:
            open_start = start == 0 and not history_known
            open_end = end == horizon - 1
            if not open_start and not open_end:
                yield RunBreach(end=end, amount=minimum - length, length=length, short=True)


def outside(value: int, minimum: int | None, maximum: int | None) -> tuple[int, str]:
    """How far ``value`` lies outside ``[minimum, maximum]`` and which side (0 when inside)."""
    if minimum is not None and value < minimum:
        return minimum - value, f"below the minimum {minimum}"
    if maximum is not None and value > maximum:
        return value - maximum, f"above the maximum {maximum}"
    return 0, ""


def last_day(ctx: CheckContext) -> date:
    return ctx.days[-1]


def always_in_effect(rule: Rule) -> bool:
    return rule.effective_from is None and rule.effective_to is None


def shift_counts(ctx: CheckContext) -> dict[str, Counter[str]]:
    """Assignments per staff and shift type over the horizon, shared through the context
    cache: Curtois instances carry one count rule per staff and shift type."""
    cached = ctx._cache.get("workload.shift_counts")
    if isinstance(cached, dict):
        return cached
    counts: dict[str, Counter[str]] = {
        staff: Counter(item.shift for items in days.values() for item in items)
        for staff, days in ctx.by_staff_day.items()
    }
    ctx._cache["workload.shift_counts"] = counts
    return counts
