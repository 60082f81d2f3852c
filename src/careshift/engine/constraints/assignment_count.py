"""How many assignments each person works in total."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.workload import AssignmentCount
from careshift.engine.model import EngineModel


def total_assignments_within_limits(m: EngineModel, rule: Rule) -> None:
    """Total assignments (plus the history's total) between ``minimum`` and ``maximum``
    (INRC-II S6). Hard: linear bounds. Soft: assignments outside the range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, AssignmentCount)
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        before = 0 if history is None else history.total_assignments
        items = [var for d in range(len(m.days)) for var in m.vars_on(member.id, d)]
        m.bound(
            rule,
            sum(items) + before,
            spec.minimum,
            spec.maximum,
            len(items) + before,
            member.id,
            None,
            f"assignments[nurse={member.id}]",
        )
