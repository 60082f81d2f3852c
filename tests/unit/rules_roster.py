"""Tiny hand-built rosters for the day-based rule tests.

A roster line reads one character per day from Monday 2024-01-01: a shift id, or ``-`` for
a day off. ``roster(A="DD-N")`` is staff A working D, D, off, N.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from careshift.domain.checker import CheckReport, check
from careshift.domain.demand import Request, ShiftCover
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import Rule, RuleSpec, Scope
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.time import Horizon
from careshift.domain.workforce import ShiftType, Staff, StaffHistory

MONDAY = date(2024, 1, 1)
SHIFTS = (
    ShiftType("D", minutes=480),
    ShiftType("E", minutes=480),
    ShiftType("N", minutes=600, forbidden_next=frozenset({"D", "E"})),
)


def day(index: int) -> date:
    return MONDAY + timedelta(days=index)


def roster(**lines: str) -> Schedule:
    return Schedule.of(
        Assignment(staff, day(index), shift)
        for staff, line in lines.items()
        for index, shift in enumerate(line)
        if shift != "-"
    )


def problem(
    *rules: Rule,
    days: int = 14,
    staff: Sequence[Staff] = (Staff("A"), Staff("B")),
    shift_types: Sequence[ShiftType] = SHIFTS,
    cover: Sequence[ShiftCover] = (),
    requests: Sequence[Request] = (),
    days_off: Mapping[str, frozenset[date]] | None = None,
    history: Mapping[str, StaffHistory] | None = None,
    timezone: str = "UTC",
) -> RosterProblem:
    return RosterProblem(
        name="tiny",
        horizon=Horizon(MONDAY, days, timezone),
        shift_types=tuple(shift_types),
        staff=tuple(staff),
        rules=rules,
        cover=tuple(cover),
        requests=tuple(requests),
        days_off=days_off or {},
        history=history,
    )


def hard(spec: RuleSpec, rule_id: str = "r", scope: Scope | None = None) -> Rule:
    return Rule(rule_id, spec, hard=True, scope=scope or Scope())


def soft(spec: RuleSpec, weight: int = 1, rule_id: str = "r", scope: Scope | None = None) -> Rule:
    return Rule(rule_id, spec, hard=False, weight=weight, scope=scope or Scope())


def run(problem_: RosterProblem, schedule: Schedule) -> CheckReport:
    return check(problem_, schedule)


def amounts(report: CheckReport) -> list[tuple[str | None, date | None, int]]:
    """(staff, day, amount) per violation, in the order found."""
    return [(v.staff, v.day, v.amount) for v in report.violations]
