"""Who may be assigned at all: one shift a day, the right skill, a valid credential."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.schedule import Assignment
from careshift.domain.timeline import covers_staff

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


@dataclass(frozen=True)
class OneShiftPerDay(RuleSpec):
    """At most one shift per staff per calendar day (INRC-II H1, Curtois hard 1).

    Amount: the number of extra assignments on a day. Usually hard.
    """

    family: ClassVar[str] = "one_shift_per_day"
    title: ClassVar[str] = "One shift per day"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for member in ctx.staff_in_scope(rule):
            for day, items in ctx.by_staff_day.get(member.id, {}).items():
                if len(items) > 1 and rule.in_effect(day):
                    shifts = ", ".join(item.shift for item in items)
                    yield Finding(
                        amount=len(items) - 1,
                        staff=member.id,
                        day=day,
                        detail=f"{len(items)} shifts on one day ({shifts})",
                    )


@dataclass(frozen=True)
class SkillRequired(RuleSpec):
    """An assignment that covers a skill needs staff who have that skill (INRC-II H4).

    Amount: 1 per assignment whose ``skill`` is not in the staff's skills. Usually hard.
    """

    family: ClassVar[str] = "skill_required"
    title: ClassVar[str] = "Skill required"

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for member in ctx.staff_in_scope(rule):
            for day, items in ctx.by_staff_day.get(member.id, {}).items():
                if not rule.in_effect(day):
                    continue
                for item in items:
                    if item.skill is not None and item.skill not in member.skills:
                        yield Finding(
                            amount=1,
                            staff=member.id,
                            day=day,
                            detail=f"covers skill {item.skill} on {item.shift} without having it",
                        )


@dataclass(frozen=True)
class CredentialRequired(RuleSpec):
    """Staff working on a unit in scope must hold every credential in ``credentials``,
    unexpired on the day worked (e.g. an RN licence; ACLS for ICU).

    Amount: 1 per assignment per missing or expired credential. Usually hard.

    The unit worked is the assignment's ``unit``, else the staff's home unit; scope
    ``units`` select it, scope roles/contracts/staff select the staff. The day worked is
    the assignment's (start) day; the rule applies on the days it is in effect.
    """

    family: ClassVar[str] = "credential_required"
    title: ClassVar[str] = "Unexpired credential required"
    credentials: frozenset[str] = frozenset()

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for assignment in sorted(ctx.schedule, key=Assignment.sort_key):
            member = ctx.staff.get(assignment.staff)
            if member is None or assignment.day not in ctx.problem.horizon or not rule.in_effect(assignment.day):
                continue
            unit = assignment.unit if assignment.unit is not None else member.home_unit
            if not rule.scope.covers_unit(unit) or not covers_staff(rule.scope, member):
                continue
            for code in sorted(self.credentials):
                if member.has_credential(code, assignment.day):
                    continue
                held = [c for c in member.credentials if c.code == code]
                if held:
                    expiry = max((c.expires for c in held if c.expires is not None), default=None)
                    why = f"expired {expiry.isoformat()}" if expiry else "expired"
                else:
                    why = "not held"
                yield Finding(
                    amount=1,
                    staff=member.id,
                    day=assignment.day,
                    detail=(
                        f"{member.id} works {assignment.shift} on {unit or 'any unit'} on "
                        f"{assignment.day.isoformat()} but {code} is {why}"
                    ),
                )
