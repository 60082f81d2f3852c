"""Fairness of nights, weekends and holidays across staff, and the cost of change."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.errors import DomainError
from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.schedule import Assignment

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext

KINDS = ("nights", "weekends", "holidays")


@dataclass(frozen=True)
class FairShare(RuleSpec):
    """Spread the ``kind`` of work (``nights``, ``weekends`` or ``holidays``) evenly over
    the staff in scope, in proportion to their contract FTE.

    Amount: ``max − min`` of per-person counts (one finding per rule). Soft. The spread
    is linear, so the engine optimises it exactly.

    Counts: ``nights`` are assignments to shift types tagged ``night``; ``weekends`` are
    weekends of the horizon with any Saturday or Sunday worked; ``holidays`` are
    assignments on ``problem.holidays``. FTE proportion: each count is divided by the
    person's FTE (from ``problem.contracts``; 1.0 when the contract is unknown; staff
    with FTE 0 are left out), so it is the count *per full-time post*, and the amount is
    ``floor(max − min)`` of those loads, in whole full-time shifts (or weekends). When
    everyone is full time this is exactly ``max − min`` of the counts; the engine gets
    the same value from loads scaled by the LCM of the FTE hundredths and one integer
    division. Needs at least two people in scope; the rule's effective dates select the
    days counted.
    """

    family: ClassVar[str] = "fair_share"
    title: ClassVar[str] = "Fair share"
    kind: str = "nights"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DomainError(f"fair_share kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        fte = {contract.id: contract.fte for contract in ctx.problem.contracts}
        loads: dict[str, tuple[Fraction, int]] = {}
        for member in ctx.staff_in_scope(rule):
            share = Fraction(round(fte.get(member.contract_id, 1.0) * 100), 100)
            if share <= 0:
                continue
            count = self.count(ctx, rule, member.id)
            loads[member.id] = (count / share, count)
        if len(loads) < 2:
            return
        most = max(sorted(loads), key=lambda staff: loads[staff][0])
        least = min(sorted(loads), key=lambda staff: loads[staff][0])
        spread = math.floor(loads[most][0] - loads[least][0])
        if spread <= 0:
            return
        yield Finding(
            amount=spread,
            detail=(
                f"{self.kind} per full-time post range from {float(loads[least][0]):.3g} ({least}, "
                f"{loads[least][1]}) to {float(loads[most][0]):.3g} ({most}, {loads[most][1]})"
            ),
        )

    def count(self, ctx: CheckContext, rule: Rule, staff: str) -> int:
        """How many nights, weekends or holidays ``staff`` works in the horizon."""
        worked = {day: items for day, items in ctx.by_staff_day.get(staff, {}).items() if rule.in_effect(day)}
        if self.kind == "nights":
            return sum(
                1 for items in worked.values() for a in items if a.shift in ctx.shifts and ctx.shifts[a.shift].is_night
            )
        if self.kind == "holidays":
            return sum(len(items) for day, items in worked.items() if day in ctx.problem.holidays)
        return sum(1 for weekend in ctx.problem.horizon.weekends() if any(day in worked for day in weekend))


@dataclass(frozen=True)
class ChangeCost(RuleSpec):
    """Penalise changes against ``problem.reference`` (stability during repair).

    Amount: 1 per assignment added or removed relative to the reference. Soft.

    Assignments are compared whole (staff, day, shift, skill, unit), so moving someone
    to another shift or unit is one removal plus one addition. Only days inside the
    horizon on which the rule is in effect, and staff in scope, are compared; no
    reference means no cost. One finding per changed assignment.
    """

    family: ClassVar[str] = "change_cost"
    title: ClassVar[str] = "Change against the current schedule"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        reference = ctx.problem.reference
        if reference is None:
            return
        scoped = {member.id for member in ctx.staff_in_scope(rule)}

        def relevant(assignment: Assignment) -> bool:
            return (
                assignment.staff in scoped and assignment.day in ctx.problem.horizon and rule.in_effect(assignment.day)
            )

        removed, added = reference.diff(ctx.schedule)
        for verb, changed in (("removed", removed), ("added", added)):
            for assignment in sorted((a for a in changed if relevant(a)), key=Assignment.sort_key):
                where = f" on {assignment.unit}" if assignment.unit else ""
                yield Finding(
                    amount=1,
                    staff=assignment.staff,
                    day=assignment.day,
                    detail=f"{verb} {assignment.shift}{where} for {assignment.staff} on {assignment.day.isoformat()}",
                )
