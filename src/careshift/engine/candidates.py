"""Rank staff for one open shift by what adding them would cost, rule by rule.

"Who should take the open night on 4 West?" and "why not nurse X?" get the same exact
answer: for each person, the checker's report of the roster with them added, minus the
report without them. Hard breaches make a person ineligible but are still listed, so a
scheduler sees *which* rule rules them out; soft rules give the cost delta (in the
policy's penalty units) that orders the eligible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from careshift.domain.checker import CheckReport, Violation, check
from careshift.domain.errors import DomainError
from careshift.domain.problem import RosterProblem
from careshift.domain.schedule import Assignment, Schedule


@dataclass(frozen=True)
class OpenShift:
    """A shift that needs one more person: ``shift`` on ``day``, covering ``skill`` on ``unit``
    (``None``: any skill; the candidate's home unit)."""

    day: date
    shift: str
    skill: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class RuleDelta:
    """How one rule's verdict changes when the candidate is added.

    For a soft rule ``before``/``after`` are penalties and ``delta`` their difference; for
    a hard rule they are breach counts. ``reasons`` are the checker's sentences for the
    findings the addition creates.
    """

    rule_id: str
    title: str
    hard: bool
    before: int
    after: int
    reasons: tuple[str, ...] = ()

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Candidate:
    """One person for the open shift: eligible or not, the total cost delta and per-rule deltas."""

    staff: str
    assignment: Assignment
    cost_delta: int
    rule_deltas: tuple[RuleDelta, ...]
    not_allowed: str = ""

    @property
    def hard_breaches(self) -> tuple[RuleDelta, ...]:
        """Hard rules the assignment would break (more breaches after than before)."""
        return tuple(item for item in self.rule_deltas if item.hard and item.delta > 0)

    @property
    def eligible(self) -> bool:
        return not self.not_allowed and not self.hard_breaches

    @property
    def binding(self) -> tuple[str, ...]:
        """Ids of the rules whose verdict the assignment changes."""
        return tuple(item.rule_id for item in self.rule_deltas)

    def why_not(self) -> str:
        """A plain-language answer to "why not this person?" (or what taking them costs)."""
        if self.not_allowed:
            return f"{self.staff}: {self.not_allowed}"
        parts = []
        for item in self.hard_breaches:
            reasons = "; ".join(item.reasons) or item.title
            parts.append(f"would break {item.title} ({reasons})")
        for item in self.rule_deltas:
            if not item.hard and item.delta:
                sign = "+" if item.delta > 0 else "−"
                parts.append(f"{item.title} {sign}{abs(item.delta)}")
        head = "not eligible" if self.hard_breaches else f"cost {self.cost_delta:+d}"
        return f"{self.staff}: {head}" + (f"; {', '.join(parts)}" if parts else "")


def _hard_counts(report: CheckReport) -> Counter[str]:
    return Counter(v.rule_id for v in report.hard_violations)


def _new_findings(before: CheckReport, after: CheckReport) -> dict[str, list[Violation]]:
    remaining = Counter(before.violations)
    created: dict[str, list[Violation]] = {}
    for violation in after.violations:
        if remaining[violation] > 0:
            remaining[violation] -= 1
        else:
            created.setdefault(violation.rule_id, []).append(violation)
    return created


def rule_deltas(problem: RosterProblem, before: CheckReport, after: CheckReport) -> tuple[RuleDelta, ...]:
    """Per-rule changes from ``before`` to ``after``, in the problem's rule order (hard rules
    by breach count, soft rules by penalty); rules that do not change are left out."""
    cost_before, cost_after = before.cost_by_rule(), after.cost_by_rule()
    hard_before, hard_after = _hard_counts(before), _hard_counts(after)
    created = _new_findings(before, after)
    found = []
    for rule in problem.rules:
        if rule.hard:
            b, a = hard_before[rule.id], hard_after[rule.id]
        else:
            b, a = cost_before.get(rule.id, 0), cost_after.get(rule.id, 0)
        if a != b or (rule.hard and rule.id in created):
            reasons = tuple(v.reason for v in created.get(rule.id, ()))
            found.append(RuleDelta(rule.id, rule.title, rule.hard, b, a, reasons))
    return tuple(found)


def rank_candidates(
    problem: RosterProblem,
    schedule: Schedule,
    open_shift: OpenShift,
    staff: Iterable[str] | None = None,
) -> tuple[Candidate, ...]:
    """Everyone who could take ``open_shift`` (or only ``staff``), best first.

    Each candidate's ``cost_delta`` is exact: ``check(schedule + assignment).cost −
    check(schedule).cost`` under the problem's rules. Eligible people come first, by cost
    delta then problem order; people a hard rule rules out follow, with the rules they
    would break. Staff already on this exact shift are skipped; staff who may not work on
    the unit are listed as not allowed.
    """
    if open_shift.day not in problem.horizon:
        raise DomainError(
            f"open shift on {open_shift.day.isoformat()} is outside the horizon of {problem.name}; "
            "pass a day inside the roster's horizon"
        )
    problem.shift_type(open_shift.shift)  # a clear error for an unknown shift id
    wanted = None if staff is None else set(staff)
    base = check(problem, schedule)
    current = set(schedule)
    found: list[Candidate] = []
    for member in problem.staff:
        if wanted is not None and member.id not in wanted:
            continue
        unit = open_shift.unit if open_shift.unit is not None else member.home_unit
        assignment = Assignment(member.id, open_shift.day, open_shift.shift, open_shift.skill, unit)
        if assignment in current:
            continue
        if unit is not None and not member.can_work_on(unit):
            found.append(Candidate(member.id, assignment, 0, (), f"not oriented to unit {unit}"))
            continue
        after = check(problem, Schedule.of([*schedule, assignment]))
        found.append(Candidate(member.id, assignment, after.cost - base.cost, rule_deltas(problem, base, after)))
    order = {member.id: index for index, member in enumerate(problem.staff)}
    found.sort(key=lambda c: (not c.eligible, bool(c.not_allowed), c.cost_delta, order[c.staff]))
    return tuple(found)
