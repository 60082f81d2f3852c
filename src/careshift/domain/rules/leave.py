"""Fixed days off and approved leave."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


@dataclass(frozen=True)
class DaysOffRespected(RuleSpec):
    """No work on a staff member's fixed days off or leave (``problem.days_off``;
    Curtois 9). Amount: 1 per assignment on such a day. Usually hard."""

    family: ClassVar[str] = "days_off"
    title: ClassVar[str] = "Fixed days off and leave"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for member in ctx.staff_in_scope(rule):
            off = ctx.problem.days_off.get(member.id)
            if not off:
                continue
            worked = ctx.by_staff_day.get(member.id, {})
            for day in sorted(off):
                if rule.in_effect(day):
                    for item in worked.get(day, ()):
                        yield Finding(amount=1, staff=member.id, day=day, detail=f"works {item.shift} on a day off")
