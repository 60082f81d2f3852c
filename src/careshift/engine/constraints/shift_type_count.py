"""How many shifts of one type each person works."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.workload import ShiftTypeCount
from careshift.engine.model import EngineModel


def shifts_of_one_type_within_limits(m: EngineModel, rule: Rule) -> None:
    """Assignments of ``shift`` over the horizon between ``minimum`` and ``maximum``
    (Curtois MaxShifts). Hard: linear bounds (a maximum of 0 and no minimum fixes the
    variables to 0; a minimum above the maximum leaves no roster, as the checker says).
    Soft: assignments outside the range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, ShiftTypeCount)
    if spec.shift not in m.shift_ids:
        return
    for member in m.staff_in_scope(rule):
        items = [var for d in range(len(m.days)) for var in m.vars_on(member.id, d, spec.shift)]
        if rule.hard and spec.maximum == 0 and not spec.minimum:
            for var in items:
                m.hard(rule, m.model.add(var == 0), member.id)
            continue
        m.bound(
            rule,
            sum(items),
            spec.minimum,
            spec.maximum,
            len(items),
            member.id,
            None,
            f"{spec.shift}_count[nurse={member.id}]",
        )
