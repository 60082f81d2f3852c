"""Runs of consecutive working days."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.sequence import ConsecutiveWorkingDays
from careshift.engine.constraints._runs import bound_runs
from careshift.engine.model import EngineModel


def working_days_in_a_row_within_limits(m: EngineModel, rule: Rule) -> None:
    """Working-day runs between ``minimum`` and ``maximum`` days (INRC-II S2b, Curtois 5–6),
    with the history's open run carried into day one. Hard: forbidden windows and
    patterns. Soft: days outside the range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, ConsecutiveWorkingDays)
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        prior = None if history is None else history.consecutive_work_days
        literals = [m.works(member.id, d) for d in range(len(m.days))]
        bound_runs(m, rule, literals, spec.minimum, spec.maximum, prior, member.id, "work_run")
