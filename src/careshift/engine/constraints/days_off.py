"""Fixed days off and approved leave."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def no_work_on_days_off(m: EngineModel, rule: Rule) -> None:
    """No assignment on a staff member's fixed days off or leave (``problem.days_off``;
    Curtois 9). Hard: those variables are fixed to 0. Soft: 1 unit per assignment on such a
    day, times ``rule.weight``."""
    for member in m.staff_in_scope(rule):
        for day in sorted(m.problem.days_off.get(member.id, frozenset())):
            if day not in m.problem.horizon:
                continue
            d = m.problem.horizon.index(day)
            for var in m.vars_on(member.id, d):
                if rule.hard:
                    m.hard(rule, m.model.add(var == 0), member.id, d)
                else:
                    m.penalise(rule, var, 1, member.id, d, f"day_off[nurse={member.id},day={d}]")
