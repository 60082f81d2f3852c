"""A deterministic greedy roster that needs no solver (the fallback chain's second step).

Day by day, cover lines are filled in order of how much a missing person costs; for each
line, staff are tried in order of fewest assignments so far (then id), and a person is
assigned when the roster so far still keeps every hard rule that binds them. "So far" means
the horizon cut after the current day, so a run still open on that day is never short
(the rules' own border rule) and lower limits on totals (minutes, assignments, shifts) are
left to the end. The checker verifies the result; ``SolveResult.fallback`` is True and the
status is ``FALLBACK``. The roster may break a lower limit the greedy could not reach:
callers read ``check(...)`` (the result's ``penalties`` hold only soft costs).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from datetime import date

from careshift.domain.checker import check
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import AssignmentCount, CoverFloor, CoverTarget, Rule, ShiftTypeCount, WorkedMinutes
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.engine.result import PenaltyLine, SolveResult, input_hash

_TOTALS = (WorkedMinutes, AssignmentCount, ShiftTypeCount)


def _prefix_rule(rule: Rule) -> Rule | None:
    """The part of a hard rule that a roster cut after some day must already keep."""
    if isinstance(rule.spec, CoverFloor | CoverTarget):
        return None  # cover is what the greedy fills
    if isinstance(rule.spec, _TOTALS):
        return replace(rule, spec=replace(rule.spec, minimum=None))
    return rule


def greedy_roster(problem: RosterProblem) -> Schedule:
    """The greedy roster of ``problem`` (deterministic: same problem, same roster)."""
    hard = [r for r in (_prefix_rule(rule) for rule in problem.rules if rule.hard) if r is not None]
    rules_of = {member.id: [rule for rule in hard if rule.scope.covers(member)] for member in problem.staff}
    full_of = {
        member.id: [rule for rule in problem.rules if rule.hard and rule.scope.covers(member) and _prefix_rule(rule)]
        for member in problem.staff
    }
    order = {member.id: index for index, member in enumerate(problem.staff)}
    mine: dict[str, list[Assignment]] = {member.id: [] for member in problem.staff}
    counts: Counter[str] = Counter()
    staffed: Counter[tuple[object, ...]] = Counter()
    days = problem.horizon.days

    def cut(d: int) -> RosterProblem:
        return replace(problem, horizon=Horizon(problem.horizon.start, d + 1, problem.horizon.timezone))

    def keeps(member_id: str, extra: Assignment | None, upto: RosterProblem, rules: list[Rule]) -> bool:
        items = [*mine[member_id], extra] if extra is not None else mine[member_id]
        return check(upto, Schedule.of(items), rules).feasible

    def assign(member_id: str, item: Assignment) -> None:
        mine[member_id].append(item)
        counts[member_id] += 1
        staffed[item.day, item.shift, item.skill] += 1

    def options(member_id: str, day: date) -> list[Assignment]:
        """Shifts ``member_id`` could take on ``day``, most needed cover line first."""
        member = problem.member(member_id)
        lines = sorted(
            (line for line in problem.cover if line.day == day and (line.skill is None or line.skill in member.skills)),
            key=lambda line: (staffed[day, line.shift, line.skill] - line.target, -line.weight_under, line.shift),
        )
        picks = [Assignment(member_id, day, line.shift, line.skill, member.home_unit) for line in lines]
        return picks + [Assignment(member_id, day, s.id, None, member.home_unit) for s in problem.shift_types]

    for d, day in enumerate(days):
        upto = cut(d)
        working: set[str] = set()
        # someone whose work run would close too short today has to work today
        for member in problem.staff:
            if keeps(member.id, None, upto, rules_of[member.id]):
                continue
            for item in options(member.id, day):
                if keeps(member.id, item, upto, rules_of[member.id]):
                    assign(member.id, item)
                    working.add(member.id)
                    break
        lines = sorted(
            (line for line in problem.cover if line.day == day),
            key=lambda line: (-line.weight_under, -line.floor, line.shift, line.skill or ""),
        )
        for line in lines:
            for member in sorted(problem.staff, key=lambda s: (counts[s.id], order[s.id])):
                if staffed[day, line.shift, line.skill] >= line.target:
                    break
                if member.id in working or (line.skill is not None and line.skill not in member.skills):
                    continue
                if line.unit is not None and member.home_unit != line.unit:
                    continue
                candidate = Assignment(member.id, day, line.shift, line.skill, member.home_unit)
                if keeps(member.id, candidate, upto, rules_of[member.id]):
                    assign(member.id, candidate)
                    working.add(member.id)
    # top up whoever is still short of a lower limit (minutes, assignments), on the days
    # where their work is most needed, as long as every hard rule of theirs still holds
    whole = cut(len(days) - 1)
    for member in problem.staff:
        if keeps(member.id, None, whole, full_of[member.id]):
            continue
        for d, day in enumerate(days):
            if keeps(member.id, None, whole, full_of[member.id]):
                break
            if any(item.day == day for item in mine[member.id]):
                continue
            for item in options(member.id, day):
                if keeps(member.id, item, cut(d), rules_of[member.id]) and keeps(
                    member.id, item, whole, rules_of[member.id]
                ):
                    assign(member.id, item)
                    break
    return Schedule.of((item for items in mine.values() for item in items), source="fallback")


def fallback(problem: RosterProblem) -> SolveResult:
    """The greedy roster as a ``SolveResult`` marked as coming from the fallback."""
    started = time.monotonic()
    schedule = greedy_roster(problem)
    report = check(problem, schedule)
    lines = tuple(
        PenaltyLine(v.rule_id, v.family, v.amount, v.penalty, v.staff, v.day, v.reason)
        for v in report.violations
        if not v.hard
    )
    return SolveResult(
        status="FALLBACK",
        schedule=schedule,
        objective=report.cost,
        best_bound=float("-inf"),
        wall_time=time.monotonic() - started,
        time_to_best=time.monotonic() - started,
        penalties=lines,
        solver_version="greedy fallback (no solver)",
        parameters=(("strategy", "greedy"),),
        input_hash=input_hash(problem),
        fallback=True,
    )
