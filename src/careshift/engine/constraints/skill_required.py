"""Assignments that cover a skill need staff who have it."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel


def only_skilled_staff_cover_a_skill(m: EngineModel, rule: Rule) -> None:
    """Staff cover only skills they hold (INRC-II H4).

    Hard: the model never creates a variable for an unheld skill (see ``EngineModel``); a
    guarded model has them and fixes them to 0 under the person's literal.
    Soft: 1 unit per assignment covering an unheld skill, times ``rule.weight``.
    """
    if rule.hard and not m.guarded:
        return
    for member in m.staff_in_scope(rule):
        for (staff, d, slot), var in m.work.items():
            if staff == member.id and slot.skill is not None and slot.skill not in member.skills:
                if rule.hard:
                    m.hard(rule, m.model.add(var == 0), staff)
                else:
                    m.penalise(rule, var, 1, staff, d, f"unskilled[nurse={staff},day={d},skill={slot.skill}]")
