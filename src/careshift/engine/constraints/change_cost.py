"""The cost of changing the current schedule."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.model import EngineModel, Slot


def few_changes_to_the_current_schedule(m: EngineModel, rule: Rule) -> None:
    """Every assignment added to or removed from ``problem.reference`` costs 1 unit ×
    ``rule.weight`` (stability during repair). Hard: the reference is kept as it is."""
    reference = m.problem.reference
    if reference is None:
        return
    members = {member.id for member in m.staff_in_scope(rule)}
    kept = set()
    for assignment in reference:
        if assignment.staff not in members or assignment.day not in m.problem.horizon:
            continue
        d = m.problem.horizon.index(assignment.day)
        var = m.work.get((assignment.staff, d, Slot(assignment.shift, assignment.skill)))
        label = f"change[nurse={assignment.staff},day={d},shift={assignment.shift}]"
        if var is None:
            # the reference holds an assignment the model cannot make: it is removed for sure
            m.penalise(rule, 1, 1, assignment.staff, d, label)
            continue
        kept.add((assignment.staff, d, Slot(assignment.shift, assignment.skill)))
        if rule.hard:
            m.hard(rule, m.model.add(var == 1), assignment.staff)
        else:
            m.penalise(rule, 1 - var, 1, assignment.staff, d, label)
    for key, var in m.work.items():
        staff, d, slot = key
        if staff in members and key not in kept:
            if rule.hard:
                m.hard(rule, m.model.add(var == 0), staff)
            else:
                m.penalise(rule, var, 1, staff, d, f"change[nurse={staff},day={d},shift={slot.shift}]")
