"""Runs of consecutive days off."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.sequence import ConsecutiveDaysOff
from careshift.engine.constraints._runs import bound_runs
from careshift.engine.model import EngineModel


def days_off_in_a_row_within_limits(m: EngineModel, rule: Rule) -> None:
    """Runs of days off between ``minimum`` and ``maximum`` days (INRC-II S3, Curtois 7),
    with the history's open rest run carried into day one. Hard: forbidden windows and
    patterns. Soft: days outside the range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, ConsecutiveDaysOff)
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        prior = None if history is None else history.consecutive_days_off
        literals = [m.works(member.id, d).Not() for d in range(len(m.days))]
        bound_runs(m, rule, literals, spec.minimum, spec.maximum, prior, member.id, "rest_run")
