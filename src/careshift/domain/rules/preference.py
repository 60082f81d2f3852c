"""Staff requests to work or not to work particular shifts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


@dataclass(frozen=True)
class ShiftRequests(RuleSpec):
    """Honour ``problem.requests`` (Curtois shift-on/off, INRC-II S4).

    An on-request is breached when the staff does not work that shift (or any shift when
    ``shift`` is None) that day; an off-request when they do. Amount 1 per breached
    request with the request's ``weight`` as factor. Soft; the rule weight multiplies.
    """

    family: ClassVar[str] = "shift_requests"
    title: ClassVar[str] = "Shift requests"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        in_scope = {member.id for member in ctx.staff_in_scope(rule)}
        for request in ctx.problem.requests:
            if request.staff not in in_scope or not rule.in_effect(request.day):
                continue
            shifts = {item.shift for item in ctx.by_staff_day.get(request.staff, {}).get(request.day, ())}
            works = bool(shifts) if request.shift is None else request.shift in shifts
            if works == request.on:
                continue
            wanted = request.shift or "any shift"
            yield Finding(
                amount=1,
                staff=request.staff,
                day=request.day,
                factor=request.weight,
                detail=f"asked {'for' if request.on else 'not to work'} {wanted}",
            )
