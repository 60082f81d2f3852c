"""Runs of the same shift type on consecutive days."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.domain.rules.sequence import ConsecutiveSameShift
from careshift.engine.constraints._runs import bound_runs
from careshift.engine.model import EngineModel


def same_shift_in_a_row_within_limits(m: EngineModel, rule: Rule) -> None:
    """Runs of ``shift`` between ``minimum`` and ``maximum`` days (INRC-II S2a); the
    history continues the run when its last shift is ``shift``. Hard: forbidden windows
    and patterns. Soft: days outside the range × ``rule.weight``."""
    spec = rule.spec
    assert isinstance(spec, ConsecutiveSameShift)
    if spec.shift not in m.shift_ids:
        return
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        prior: int | None = None
        if history is not None:
            prior = history.consecutive_same_shift if history.last_shift == spec.shift else 0
        literals = [m.on_shift(member.id, d, spec.shift) for d in range(len(m.days))]
        bound_runs(m, rule, literals, spec.minimum, spec.maximum, prior, member.id, f"{spec.shift}_run")
