"""The independent schedule checker: evaluate any schedule against rules, with no solver.

Solver output, an imported roster and a benchmark solution all go through the same
``check``. It returns every violation (rule id, staff, time, amount, penalty) and the
total cost. The engine's objective must equal ``report.cost`` for the schedule it returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule
from careshift.domain.schedule import Assignment, Schedule
from careshift.domain.workforce import ShiftType, Staff


@dataclass(frozen=True)
class Violation:
    """One breach of one rule, with its cost (0 for hard rules, which are counted instead)."""

    rule_id: str
    family: str
    hard: bool
    amount: int
    penalty: int
    staff: str | None = None
    day: date | None = None
    at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class CheckReport:
    """Everything the checker found. ``cost`` is the sum of soft penalties."""

    violations: tuple[Violation, ...]
    policy_version: str | None = None

    @property
    def cost(self) -> int:
        return sum(v.penalty for v in self.violations if not v.hard)

    @property
    def hard_violations(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.hard)

    @property
    def feasible(self) -> bool:
        return not self.hard_violations

    def cost_by_rule(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for violation in self.violations:
            if not violation.hard:
                totals[violation.rule_id] += violation.penalty
        return dict(totals)

    def cost_by_family(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for violation in self.violations:
            if not violation.hard:
                totals[violation.family] += violation.penalty
        return dict(totals)


@dataclass
class CheckContext:
    """Indexes over a problem and a schedule that rule families share (built once per check)."""

    problem: RosterProblem
    schedule: Schedule
    _cache: dict[str, object] = field(default_factory=dict)

    @cached_property
    def shifts(self) -> dict[str, ShiftType]:
        return {shift.id: shift for shift in self.problem.shift_types}

    @cached_property
    def staff(self) -> dict[str, Staff]:
        return {member.id: member for member in self.problem.staff}

    @cached_property
    def by_staff_day(self) -> dict[str, dict[date, tuple[Assignment, ...]]]:
        """Assignments inside the horizon per staff and day (a day may hold several)."""
        grouped: dict[str, dict[date, list[Assignment]]] = {member.id: {} for member in self.problem.staff}
        for assignment in self.schedule:
            if assignment.day in self.problem.horizon:
                grouped.setdefault(assignment.staff, {}).setdefault(assignment.day, []).append(assignment)
        # Sorted days and assignments: findings come out in the same order whatever the
        # order of the schedule's assignments.
        return {
            staff: {day: tuple(sorted(days[day], key=Assignment.sort_key)) for day in sorted(days)}
            for staff, days in grouped.items()
        }

    @cached_property
    def days(self) -> tuple[date, ...]:
        """The horizon's days (computed once; ``Horizon.days`` builds a new tuple each time)."""
        return self.problem.horizon.days

    @cached_property
    def _staff_position(self) -> dict[str, int]:
        return {member.id: index for index, member in enumerate(self.problem.staff)}

    def staff_in_scope(self, rule: Rule) -> list[Staff]:
        """Staff the rule binds, in the problem's order."""
        named = rule.scope.staff
        if named:
            # Per-person rules (Curtois: thousands of them) look their staff up directly.
            position = self._staff_position
            members = [self.problem.staff[position[staff]] for staff in named if staff in position]
            members.sort(key=lambda member: position[member.id])
            return [member for member in members if rule.scope.covers(member)]
        return [member for member in self.problem.staff if rule.scope.covers(member)]

    def working(self, staff: str, day: date) -> bool:
        return bool(self.by_staff_day.get(staff, {}).get(day))

    def shift_on(self, staff: str, day: date) -> str | None:
        """The (first) shift ``staff`` works on ``day``, or ``None`` on a day off."""
        items = self.by_staff_day.get(staff, {}).get(day)
        return items[0].shift if items else None


def check(problem: RosterProblem, schedule: Schedule, rules: Iterable[Rule] | None = None) -> CheckReport:
    """Evaluate ``schedule`` against ``rules`` (default: the problem's own rules)."""
    ctx = CheckContext(problem, schedule)
    violations: list[Violation] = []
    for rule in problem.rules if rules is None else rules:
        for finding in rule.spec.violations(rule, ctx):
            if finding.amount <= 0:
                continue
            violations.append(
                Violation(
                    rule_id=rule.id,
                    family=rule.family,
                    hard=rule.hard,
                    amount=finding.amount,
                    penalty=0 if rule.hard else rule.weight * finding.factor * finding.amount,
                    staff=finding.staff,
                    day=finding.day,
                    at=finding.at,
                    reason=rule.reason_text(finding),
                )
            )
    return CheckReport(tuple(violations), policy_version=problem.policy_version)
