"""Weekends: how many are worked, and whether they are worked whole."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


def _weekends(ctx: CheckContext) -> tuple[tuple[date, ...], ...]:
    """The horizon's weekends, computed once per check (one weekend rule per staff in Curtois)."""
    cached = ctx._cache.get("weekend.weekends")
    if isinstance(cached, tuple):
        return cached
    weekends = ctx.problem.horizon.weekends()
    ctx._cache["weekend.weekends"] = weekends
    return weekends


@dataclass(frozen=True)
class MaxWorkingWeekends(RuleSpec):
    """At most ``maximum`` weekends worked (Saturday or Sunday or both), counting the
    history's total (INRC-II S7, Curtois 8). Amount: weekends over the maximum, per staff."""

    family: ClassVar[str] = "max_working_weekends"
    title: ClassVar[str] = "Working weekends"
    maximum: int = 2

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        weekends = [weekend for weekend in _weekends(ctx) if rule.in_effect(weekend[0])]
        if not weekends:
            return
        for member in ctx.staff_in_scope(rule):
            history = ctx.problem.history_of(member.id)
            count = history.total_working_weekends if history is not None else 0
            count += sum(1 for weekend in weekends if any(ctx.working(member.id, day) for day in weekend))
            if count > self.maximum:
                yield Finding(
                    amount=count - self.maximum,
                    staff=member.id,
                    day=weekends[-1][-1],
                    detail=f"{count} working weekends, at most {self.maximum} allowed",
                )


@dataclass(frozen=True)
class CompleteWeekends(RuleSpec):
    """Work both days of a weekend or neither (INRC-II S5). Amount: 1 per weekend with
    exactly one of Saturday and Sunday worked."""

    family: ClassVar[str] = "complete_weekends"
    title: ClassVar[str] = "Complete weekends"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        # A weekend cut by the horizon (only Saturday or only Sunday inside) cannot be judged.
        weekends = [w for w in _weekends(ctx) if len(w) == 2 and rule.in_effect(w[0])]
        for member in ctx.staff_in_scope(rule):
            for saturday, sunday in weekends:
                on_saturday = ctx.working(member.id, saturday)
                if on_saturday != ctx.working(member.id, sunday):
                    worked = saturday if on_saturday else sunday
                    yield Finding(
                        amount=1,
                        staff=member.id,
                        day=saturday,
                        detail=f"works only {worked.strftime('%A')} of the weekend",
                    )
