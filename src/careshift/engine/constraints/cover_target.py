"""The optimal staff per shift line: a target below which, and a cap above which, we pay."""

from __future__ import annotations

from careshift.domain.rules.base import Rule
from careshift.engine.constraints._cover import covering, line_label
from careshift.engine.model import EngineModel


def cover_at_target_and_under_cap(m: EngineModel, rule: Rule) -> None:
    """Staff per line at ``target`` and no more than ``cap`` (INRC-II S1, Curtois cover).

    Soft: people below target × the line's ``weight_under`` plus people above the cap ×
    ``weight_over``, times ``rule.weight``. When target equals cap one equation
    ``count + under − over = target`` carries both, which keeps the LP tight. Hard: the
    count is held between target and cap.
    """
    for line in m.problem.cover:
        if not rule.scope.covers_unit(line.unit) or line.day not in m.problem.horizon:
            continue
        items = covering(m, line)
        d = m.problem.horizon.index(line.day)
        label = line_label(m, line)
        count = sum(items)
        if rule.hard:
            m.hard(rule, m.model.add(count >= line.target), line=line)
            if line.cap is not None:
                m.hard(rule, m.model.add(count <= line.cap), line=line)
            continue
        if line.target > 0:
            under = m.model.new_int_var(0, line.target, f"under[{rule.id},{label}]")
            m.penalise(rule, under, line.weight_under, None, d, label)
        if line.cap is not None and line.cap < len(items):
            over = m.model.new_int_var(0, len(items) - line.cap, f"over[{rule.id},{label}]")
            m.penalise(rule, over, line.weight_over, None, d, label)
        if line.target > 0 and line.cap is not None and line.cap < len(items) and line.cap == line.target:
            m.model.add(count + under - over == line.target)
            continue
        if line.target > 0:
            m.model.add(under >= line.target - count)
        if line.cap is not None and line.cap < len(items):
            m.model.add(over >= count - line.cap)
