"""A long horizon in parts: the first weeks, then the next ones from where they ended.

Eight weeks of INRC-II are too long for the column phase (generation does not converge in
time and its dive never starts, ADR 0003, tenth round) and for the LNS on the whole model,
while four weeks are within 5 % of the best known in the same ten minutes. So a problem
whose rules are all local in time, plus totals that history carries (INRC-II), is solved
in parts of ``PART_DAYS``: each part is a problem of its own, whose history is where the
part before it ended (``carry``). A part's totals are those of the whole scaled to its
share of the days, except the last part's, which are the whole's exactly (history holds
what the parts before it counted). The parts' rosters together are a roster of the whole,
which the whole model's LNS then improves (``engine.solve``). A part is solved with
``LOOKAHEAD`` days of the next one, which are then dropped, so that it leaves a history the
next part can start from.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule, RuleSpec
from careshift.domain.rules.weekend import MaxWorkingWeekends
from careshift.domain.rules.workload import AssignmentCount
from careshift.domain.schedule import Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import StaffHistory

#: Days per part: four weeks, the length the column phase handles in its share of the time.
PART_DAYS = 28

#: Days a part looks ahead into the next one: solved with the part, then dropped. Without it
#: a part can end where the next cannot start: on INRC-II n005w4 over eight weeks, the
#: second part was proven infeasible (a minimum cover on its first day that only nurses
#: whose last shift forbids it could meet).
LOOKAHEAD = 7

#: Rule families a part charges as the whole does, given the history it starts from.
LOCAL = frozenset(
    {
        "one_shift_per_day",
        "cover_floor",
        "cover_target",
        "forbidden_successions",
        "skill_required",
        "consecutive_same_shift",
        "consecutive_working_days",
        "consecutive_days_off",
        "complete_weekends",
        "shift_requests",
    }
)

#: Rule families counted over the whole horizon from history's totals: scaled in every part
#: but the last.
TOTALS = frozenset({"assignment_count", "max_working_weekends"})


def splittable(problem: RosterProblem) -> bool:
    """True when ``problem`` can be solved in parts: it has history (the border data each part
    starts from), at least two parts' worth of days, no frozen or reference schedule, and
    only rules that are ``LOCAL`` or ``TOTALS`` and in effect over the whole horizon."""
    days = problem.horizon.days
    if problem.history is None or problem.reference is not None or problem.frozen_days:
        return False
    if len(days) < 2 * PART_DAYS or problem.interval_cover or problem.census:
        return False
    return all(
        rule.family in LOCAL | TOTALS and rule.in_effect(days[0]) and rule.in_effect(days[-1]) for rule in problem.rules
    )


def boundaries(problem: RosterProblem) -> list[tuple[int, int]]:
    """The parts as (first day index, length): ``PART_DAYS`` each (a day more where the
    border would fall between a Saturday and its Sunday: a weekend stays in one part), the
    last taking what is left (``PART_DAYS`` − 1 to twice that less a day)."""
    total = len(problem.horizon.days)
    parts = []
    start = 0
    while total - start >= 2 * PART_DAYS:
        length = PART_DAYS
        if problem.horizon.days[start + length].weekday() == 6:  # would split a weekend
            length += 1
        parts.append((start, length))
        start += length
    parts.append((start, total - start))
    return parts


def part(problem: RosterProblem, start: int, length: int, history: dict[str, StaffHistory]) -> RosterProblem:
    """Days ``start`` to ``start + length`` of ``problem`` as a problem of their own, from
    ``history``; its totals scaled to the share of the days from the horizon's start to the
    part's end (``history`` holds what the days before it counted), unless it is the last."""
    days = problem.horizon.days
    horizon = Horizon(days[start], length, problem.horizon.timezone)
    last = start + length == len(days)
    share = (start + length) / len(days)
    rules = problem.rules if last else tuple(_scaled(rule, share) for rule in problem.rules)
    return dataclasses.replace(
        problem,
        name=f"{problem.name} days {start + 1}-{start + length}",
        horizon=horizon,
        rules=rules,
        cover=tuple(line for line in problem.cover if line.day in horizon),
        requests=tuple(request for request in problem.requests if request.day in horizon),
        history=history,
    )


def _scaled(rule: Rule, share: float) -> Rule:
    spec = rule.spec
    if isinstance(spec, AssignmentCount):
        scaled: RuleSpec = AssignmentCount(_times(spec.minimum, share), _times(spec.maximum, share))
    elif isinstance(spec, MaxWorkingWeekends):
        scaled = MaxWorkingWeekends(_half_up(spec.maximum * share))
    else:
        return rule
    return dataclasses.replace(rule, spec=scaled)


def _times(value: int | None, share: float) -> int | None:
    return None if value is None else _half_up(value * share)


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def carry(problem: RosterProblem, schedule: Schedule, days: Sequence[date]) -> dict[str, StaffHistory]:
    """Each person's history after ``days`` (consecutive, in ``problem``'s horizon, the first
    right after ``problem``'s own history) worked as in ``schedule``: the runs ending on the
    last day (continued from history when they span every day) and the totals."""
    if not days:
        raise ValueError("carry needs at least one day")
    within = set(days)
    worked: dict[tuple[str, date], str] = {(a.staff, a.day): a.shift for a in schedule if a.day in within}
    weekends = [weekend for weekend in problem.horizon.weekends() if weekend[0] in within and weekend[-1] in within]
    carried = {}
    for member in problem.staff:
        before = problem.history_of(member.id) or StaffHistory()
        shifts = [worked.get((member.id, day)) for day in days]
        last = shifts[-1]
        work = off = same = 0
        if last is None:
            off = _run(shifts, partial(operator.is_, None))
            off += before.consecutive_days_off if off == len(days) else 0
        else:
            work = _run(shifts, partial(operator.is_not, None))
            work += before.consecutive_work_days if work == len(days) else 0
            same = _run(shifts, partial(operator.eq, last))
            same += before.consecutive_same_shift if same == len(days) and before.last_shift == last else 0
        carried[member.id] = dataclasses.replace(
            before,
            last_shift=last,
            consecutive_same_shift=same,
            consecutive_work_days=work,
            consecutive_days_off=off,
            total_assignments=before.total_assignments + sum(shift is not None for shift in shifts),
            total_working_weekends=before.total_working_weekends
            + sum(any(worked.get((member.id, day)) for day in weekend) for weekend in weekends),
            last_shift_end=None,
        )
    return carried


def _run(shifts: Sequence[str | None], holds: Callable[[str | None], bool]) -> int:
    """How many of the last days in a row ``holds``."""
    count = 0
    for shift in reversed(shifts):
        if not holds(shift):
            break
        count += 1
    return count
