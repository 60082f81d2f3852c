"""Weekends worked whole or not at all."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def whole_weekends_only(m: EngineModel, rule: Rule) -> None:
    """Work both Saturday and Sunday or neither (INRC-II S5). Hard: equal day indicators.
    Soft: 1 unit per weekend with exactly one day worked × ``rule.weight``."""
    for member in m.staff_in_scope(rule):
        for weekend in m.problem.horizon.weekends():
            if len(weekend) != 2:
                continue
            saturday, sunday = (m.problem.horizon.index(day) for day in weekend)
            first, second = m.works(member.id, saturday), m.works(member.id, sunday)
            if rule.hard:
                m.hard(rule, m.model.add(first == second), member.id)
                continue
            label = f"split_weekend[nurse={member.id},day={saturday}]"
            split = m.model.new_bool_var(label)
            m.model.add(split >= first - second)
            m.model.add(split >= second - first)
            m.penalise(rule, split, 1, member.id, saturday, label)
