"""The minimum staff per shift line."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.constraints._cover import covering, line_label
from careshift.engine.model import EngineModel


def at_least_floor_on_every_shift(m: EngineModel, rule: Rule) -> None:
    """At least ``floor`` staff per (day, shift, skill) line (INRC-II H2). Hard: a linear
    bound. Soft: people missing below the floor × ``rule.weight``."""
    for line in m.problem.cover:
        if line.floor <= 0 or not rule.scope.covers_unit(line.unit) or line.day not in m.problem.horizon:
            continue
        items = covering(m, line)
        d = m.problem.horizon.index(line.day)
        m.bound(rule, sum(items), line.floor, None, line.floor, None, d, line_label(m, line), line=line)
