"""Shift successions that may not be worked on consecutive days."""

from __future__ import annotations

from ortools.sat.python import cp_model

from careshift.domain.rules.base import Rule
from careshift.domain.rules.rest import ForbiddenSuccessions
from careshift.engine.model import EngineModel


def forbidden_pairs(m: EngineModel, spec: ForbiddenSuccessions) -> dict[str, set[str]]:
    """Shift type → the shift types that may not follow it the next day."""
    known = set(m.shift_ids)
    pairs: dict[str, set[str]] = {shift.id: set() for shift in m.problem.shift_types}
    for first, second in spec.pairs(m.problem.shift_types):
        if first in known and second in known:
            pairs.setdefault(first, set()).add(second)
    return pairs


def no_forbidden_succession(m: EngineModel, rule: Rule) -> None:
    """Shift ``b`` is not worked the day after shift ``a`` for each forbidden pair (INRC-II
    H3, Curtois hard 2), including the last shift of the history against day one.

    Hard: when one shift a day is hard, one clique constraint per shift and day
    (``a`` today plus every forbidden follower tomorrow ≤ 1), which is tighter in the LP
    than one constraint per pair. Soft: 1 unit per forbidden pair worked × ``rule.weight``.
    """
    assert isinstance(rule.spec, ForbiddenSuccessions)
    pairs = forbidden_pairs(m, rule.spec)
    for member in m.staff_in_scope(rule):
        history = m.problem.history_of(member.id)
        if history is not None and history.last_shift in pairs:
            for second in sorted(pairs[history.last_shift]):
                m.forbid(
                    rule,
                    [m.on_shift(member.id, 0, second)],
                    1,
                    member.id,
                    0,
                    f"succession[nurse={member.id},day=0,{history.last_shift}-{second}]",
                )
        ordered = {first: sorted(seconds) for first, seconds in pairs.items() if seconds}
        needed = sorted({shift for seconds in ordered.values() for shift in seconds} | set(ordered))
        # each day's shift literals once (a shift has many followers, a day many shifts)
        literals = [{shift: m.on_shift(member.id, d, shift) for shift in needed} for d in range(len(m.days))]
        for d in range(len(m.days) - 1):
            for first, seconds in ordered.items():
                today = literals[d][first]
                followers = [literals[d + 1][second] for second in seconds]
                if rule.hard and member.id in m.exclusive_days:
                    m.hard(rule, m.model.add(cp_model.LinearExpr.sum([today, *followers]) <= 1), member.id)
                    continue
                for second, follower in zip(seconds, followers, strict=True):
                    m.forbid(
                        rule,
                        [today, follower],
                        1,
                        member.id,
                        d + 1,
                        f"succession[nurse={member.id},day={d + 1},{first}-{second}]",
                    )
