"""At most one shift per staff member per day."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def at_most_one_shift_per_day(m: EngineModel, rule: Rule) -> None:
    """A person works at most one shift a calendar day (INRC-II H1, Curtois hard 1).

    Hard: at most one ``work`` variable per staff and day. Soft: each extra assignment on
    a day costs ``rule.weight`` (the policy's weight for this rule).
    """
    for member in m.staff_in_scope(rule):
        for d in range(len(m.days)):
            items = m.vars_on(member.id, d)
            if len(items) <= 1:
                continue
            m.bound(rule, sum(items), None, 1, len(items) - 1, member.id, d, f"shifts[nurse={member.id},day={d}]")
