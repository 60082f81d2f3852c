"""How many weekends each person works."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.weekend import MaxWorkingWeekends
from careshift.engine.model import EngineModel


def at_most_weekends_worked(m: EngineModel, rule: Rule) -> None:
    """At most ``maximum`` weekends worked (Saturday or Sunday or both), counting the
    history's total (INRC-II S7, Curtois 8). Hard: a bound on the sum of weekend
    indicators. Soft: weekends over the maximum × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, MaxWorkingWeekends)
    weekends = m.problem.horizon.weekends()
    if not weekends:  # as the checker: no weekend in the horizon, nothing to judge (history alone is not charged)
        return
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        before = 0 if history is None else history.total_working_weekends
        worked = [m.weekend_worked(member.id, weekend) for weekend in weekends]
        m.bound(
            rule,
            sum(worked) + before,
            None,
            spec.maximum,
            len(worked) + before,
            member.id,
            None,
            f"weekends[nurse={member.id}]",
        )
