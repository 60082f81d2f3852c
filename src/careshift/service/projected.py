"""Planning inputs from the store's projections: the live roster and who is unavailable.

Each unit's *base* input (staff, shift types, cover, rules over the horizon) comes from
configuration (the policy pack and the unit's cover; the sample units for the demo). What
changes minute to minute comes from the event log: the roster as imported and swapped,
and the leave and call-outs that make people unavailable. A called-out person's shift
leaves the live roster and their day becomes unavailable, so the repair fills the hole
and cannot hand the shift back to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from careshift.domain.errors import DomainError
from careshift.domain.schedule import Assignment, Schedule
from careshift.service.ports import Projections
from careshift.service.repositories import PlanningInput


@dataclass
class ProjectedPlanning:
    """``PlanningData`` over ``projections``; ``base`` holds each unit's configured input."""

    base: dict[str, PlanningInput]
    projections: Projections
    templates: dict[str, Schedule] = field(default_factory=dict)

    def units(self) -> list[str]:
        return sorted(self.base)

    def planning_input(self, unit: str) -> PlanningInput:
        """The unit's problem with unavailable days marked and the live roster from the store
        (the configured roster when the store holds none for the horizon yet)."""
        try:
            base = self.base[unit]
        except KeyError:
            raise DomainError(f"unknown unit {unit!r}; known units: {', '.join(self.units())}") from None
        problem = base.problem
        first, last = problem.horizon.start, problem.horizon.days[-1]
        staff = {member.id for member in problem.staff}
        entries = self.projections.roster(first, last, unit)
        if entries:
            roster = [Assignment(e.staff, e.day, e.shift, e.skill, e.unit) for e in entries if e.staff in staff]
            current = Schedule.of(roster, source="store")
        else:
            current = base.current or Schedule((), source="store")
        blocked: dict[tuple[str, date], set[str | None]] = {}
        days_off = {member: set(days) for member, days in problem.days_off.items()}
        for item in self.projections.availability(first, last):
            if item.staff in staff:
                blocked.setdefault((item.staff, item.day), set()).add(item.shift)
                days_off.setdefault(item.staff, set()).add(item.day)
        kept = [
            a for a in current if not ((a.staff, a.day) in blocked and ({None, a.shift} & blocked[(a.staff, a.day)]))
        ]
        context = {
            **base.context,
            "roster_entries": str(len(entries)),
            "unavailable_staff_days": str(len(blocked)),
        }
        problem = replace(problem, days_off={member: frozenset(days) for member, days in days_off.items()})
        return replace(base, problem=problem, current=Schedule.of(kept, source=current.source), context=context)

    def coverage_template(self, unit: str) -> Schedule | None:
        return self.templates.get(unit)
