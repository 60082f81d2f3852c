"""Repair a roster after an event, changing as little as the rules allow.

A call-out (someone cannot work given shifts) or a demand increase on a unit (a higher
floor or target on some shift lines) turns the current roster into a problem: a hole to
fill, a floor to meet. ``repair`` re-solves with

- the event applied: the called-out person is unavailable on those days (a hard rule
  scoped to them, ``call_out:<staff>``), the demand lines replaced;
- a change penalty against the current roster (``problem.reference`` is the roster after
  the event; a soft ``ChangeCost`` rule with ``change_weight`` per assignment added or
  removed, unless the policy has one already);
- a frozen near horizon (``problem.frozen_days``): on those days every work variable is
  fixed to the reference, so nothing there changes — a hole inside the frozen days stays
  open and is reported, for the charge nurse to fill by hand (agency, on-call);

and reports the disruption: the people and shifts changed. When the solver finds no
roster in time, fails, or cannot model the problem, the greedy repair of
:mod:`careshift.engine.fallback` takes over and the result says so
(``ProducedBy.GREEDY_REPAIR``, ``status == "FALLBACK"``).

The checker verifies every result. On branches where the checker has no ``change_cost``
family yet, the change cost is computed here from the roster difference (the same
definition: one unit per assignment added or removed, within the horizon).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from careshift.domain.checker import CheckReport, check
from careshift.domain.demand import ShiftCover
from careshift.domain.errors import CareshiftError, DomainError
from careshift.domain.events import StaffCalledOut
from careshift.domain.explain import explain
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import ProducedBy, Recommendation
from careshift.domain.rules import ChangeCost, DaysOffRespected, Rule, Scope
from careshift.domain.schedule import Assignment, Schedule
from careshift.engine.diagnose import Diagnosis, diagnose
from careshift.engine.fallback import checked_rules, greedy_repair, unchecked_rules
from careshift.engine.solve import SolveOptions, solve

DEFAULT_CHANGE_WEIGHT = 10


@dataclass(frozen=True)
class CallOut:
    """``staff`` cannot work on ``days`` (every shift they had there is removed)."""

    staff: str
    days: tuple[date, ...]

    @classmethod
    def from_events(cls, events: Sequence[StaffCalledOut]) -> CallOut:
        """One call-out from ``StaffCalledOut`` events of one person."""
        people = {event.entity_id for event in events}
        if len(people) != 1:
            raise DomainError(f"a call-out covers one person; got events for {sorted(people)}")
        return cls(people.pop(), tuple(sorted({event.day for event in events})))


@dataclass(frozen=True)
class DemandIncrease:
    """New cover lines: each replaces the problem's line with the same (day, shift, skill,
    unit), or is added when there is none."""

    lines: tuple[ShiftCover, ...]


RepairEvent = CallOut | DemandIncrease


@dataclass(frozen=True)
class Disruption:
    """What the repair changed against the roster after the event."""

    added: tuple[Assignment, ...]
    removed: tuple[Assignment, ...]

    @property
    def people(self) -> int:
        return len({a.staff for a in self.added} | {a.staff for a in self.removed})

    @property
    def shifts(self) -> int:
        """Assignments added plus assignments removed."""
        return len(self.added) + len(self.removed)


@dataclass(frozen=True)
class RepairResult:
    """A repaired roster, how it was made, what it costs and how much it changed."""

    problem: RosterProblem
    schedule: Schedule
    report: CheckReport
    change_cost_outside_checker: int
    disruption: Disruption
    event_removed: tuple[Assignment, ...]
    produced_by: ProducedBy
    status: str
    objective: int | None
    wall_time: float
    note: str = ""
    before: CheckReport | None = None
    unchecked: tuple[str, ...] = ()
    diagnosis: Diagnosis | None = None

    @property
    def fallback(self) -> bool:
        return self.produced_by is not ProducedBy.OPTIMIZER

    @property
    def feasible(self) -> bool:
        return self.report.feasible

    @property
    def cost(self) -> int:
        """The repair problem's objective: the checker's cost plus any change cost the
        checker could not evaluate itself."""
        return self.report.cost + self.change_cost_outside_checker

    @property
    def change_cost(self) -> int:
        """The penalty for changing the roster, however it was evaluated."""
        return self.change_cost_outside_checker + self.report.cost_by_family().get("change_cost", 0)

    def recommendation(self, id: str, unit: str, created_at: datetime) -> Recommendation | None:
        """The repair as a recommendation with computed reasons (checker reports of the
        roster after the event and of the repaired one); None when nothing changed."""
        if not self.disruption.shifts:
            return None
        before = self.before or self.report
        people, shifts = self.disruption.people, self.disruption.shifts
        return Recommendation(
            id=id,
            unit=unit,
            created_at=created_at,
            added=self.disruption.added,
            removed=self.disruption.removed,
            reasons=explain(before, self.report, unit),
            produced_by=self.produced_by,
            policy_version=self.problem.policy_version,
            cost_before=before.cost,
            cost_after=self.report.cost,
            context={"status": self.status, "disruption": f"{people} people, {shifts} shifts", "note": self.note},
        )


def verify(problem: RosterProblem, schedule: Schedule) -> tuple[CheckReport, int]:
    """The checker's report of ``schedule`` and its change cost against ``problem.reference``.

    Rules whose family the checker implements are checked by the checker; a ``change_cost``
    rule the checker cannot evaluate yet is computed from the roster difference.
    """
    checked = checked_rules(problem)
    report = check(problem, schedule, checked)
    extra = 0
    for rule in problem.rules:
        if rule.family == "change_cost" and rule not in checked and not rule.hard:
            extra += rule.weight * len(_changes(problem, schedule, rule))
    return report, extra


def _changes(problem: RosterProblem, schedule: Schedule, rule: Rule) -> list[Assignment]:
    if problem.reference is None:
        return []
    scoped = {member.id for member in problem.staff if rule.scope.covers(member)}
    removed, added = problem.reference.diff(schedule)
    return [a for a in (*removed, *added) if a.staff in scoped and a.day in problem.horizon and rule.in_effect(a.day)]


def _on_home_units(problem: RosterProblem, schedule: Schedule) -> Schedule:
    """``schedule`` with each assignment that names no unit placed on its person's home
    unit, the engine's convention (an imported roster often leaves the unit out); without
    it every such assignment would count as changed."""
    homes = {member.id: member.home_unit for member in problem.staff}
    if all(a.unit is not None or homes.get(a.staff) is None for a in schedule):
        return schedule
    return Schedule.of(
        (dataclasses.replace(a, unit=homes.get(a.staff)) if a.unit is None else a for a in schedule),
        policy_version=schedule.policy_version,
        source=schedule.source,
    )


def apply_event(
    problem: RosterProblem,
    current: Schedule,
    event: RepairEvent,
    *,
    frozen_days: Iterable[date] | None = None,
    change_weight: int = DEFAULT_CHANGE_WEIGHT,
) -> tuple[RosterProblem, Schedule, tuple[Assignment, ...]]:
    """The repair problem, the roster after the event, and the assignments the event removed.

    The repair problem's ``reference`` is the roster after the event; its ``frozen_days``
    are ``frozen_days`` when given, the problem's otherwise. Assignments that name no unit
    are read as on their person's home unit.
    """
    current = _on_home_units(problem, current)
    removed: tuple[Assignment, ...] = ()
    rules = list(problem.rules)
    cover = problem.cover
    days_off = dict(problem.days_off)
    if isinstance(event, CallOut):
        problem.member(event.staff)  # a clear error for an unknown person
        outside = [day for day in event.days if day not in problem.horizon]
        if outside:
            raise DomainError(
                f"call-out of {event.staff} on {outside[0].isoformat()} is outside the horizon of {problem.name}"
            )
        removed = tuple(a for a in current if a.staff == event.staff and a.day in event.days)
        days_off[event.staff] = days_off.get(event.staff, frozenset()) | frozenset(event.days)
        rules.append(
            Rule(
                f"call_out:{event.staff}",
                DaysOffRespected(),
                hard=True,
                scope=Scope(staff=frozenset({event.staff})),
                reason="{staff} called out and cannot work on {day}",
                priority=1000,
            )
        )
    else:
        replaced = {(line.day, line.shift, line.skill, line.unit): line for line in event.lines}
        kept = [line for line in cover if (line.day, line.shift, line.skill, line.unit) not in replaced]
        cover = (*kept, *event.lines)
    if not any(rule.family == "change_cost" for rule in rules):
        rules.append(Rule("change_cost", ChangeCost(), hard=False, weight=change_weight, priority=100))
    gone = set(removed)
    after = Schedule.of((a for a in current if a not in gone), source="event")
    repaired = dataclasses.replace(
        problem,
        rules=tuple(rules),
        cover=tuple(cover),
        days_off=days_off,
        reference=after,
        frozen_days=frozenset(frozen_days) if frozen_days is not None else problem.frozen_days,
    )
    return repaired, after, removed


def repair(
    problem: RosterProblem,
    current: Schedule,
    event: RepairEvent,
    *,
    frozen_days: Iterable[date] | None = None,
    change_weight: int = DEFAULT_CHANGE_WEIGHT,
    time_limit: float = 2.0,
    workers: int = 2,
    seed: int = 0,
    diagnose_infeasible: bool = True,
) -> RepairResult:
    """Repair ``current`` after ``event`` with least change, frozen days untouched.

    CP-SAT re-solves the repair problem (see the module doc) warm-started from the roster
    after the event, within ``time_limit`` seconds on ``workers`` workers. If it returns
    no roster (time out, infeasible, a family it cannot model) the greedy repair builds
    one instead, marked as the fallback. The checker verifies either result. When CP-SAT
    proves that no repair meets every hard rule (e.g. a call-out inside the frozen days),
    ``diagnosis`` says what to relax (``diagnose_infeasible=False`` skips it).
    """
    started = time.monotonic()
    repaired, after, removed = apply_event(
        problem, current, event, frozen_days=frozen_days, change_weight=change_weight
    )
    schedule: Schedule | None = None
    objective: int | None = None
    status = "FALLBACK"
    note = ""
    try:
        schedule, objective, status = _solve(repaired, after, started + time_limit, workers, seed)
    except CareshiftError as error:
        note = f"optimizer unavailable: {error}"
    produced_by = ProducedBy.OPTIMIZER
    diagnosis = None
    if status == "INFEASIBLE" and diagnose_infeasible:
        # say what would make a full repair possible (often: unfreeze a day)
        diagnosis = diagnose(repaired, time_limit=max(1.0, time_limit), seed=seed)
    if schedule is None:
        note = note or f"optimizer found no roster ({status})"
        if diagnosis is not None and diagnosis.relaxations:
            note += f"; to repair fully, relax first: {diagnosis.relaxations[0].text}"
        schedule = greedy_repair(repaired, after).schedule
        produced_by, status, objective = ProducedBy.GREEDY_REPAIR, "FALLBACK", None
    report, change_cost = verify(repaired, schedule)
    if produced_by is ProducedBy.OPTIMIZER and objective != report.cost + change_cost:
        raise DomainError(
            f"repair of {problem.name}: solver objective {objective} differs from the checker's "
            f"{report.cost} + change cost {change_cost}; this is a bug in a constraint builder"
        )
    before, _ = verify(repaired, after)
    dropped, added = after.diff(schedule)
    disruption = Disruption(
        tuple(sorted(added, key=Assignment.sort_key)), tuple(sorted(dropped, key=Assignment.sort_key))
    )
    return RepairResult(
        repaired,
        schedule,
        report,
        change_cost,
        disruption,
        removed,
        produced_by,
        status,
        objective,
        time.monotonic() - started,
        note,
        before,
        unchecked_rules(repaired),
        diagnosis,
    )


def _solve(
    problem: RosterProblem, after: Schedule, deadline: float, workers: int, seed: int
) -> tuple[Schedule | None, int | None, str]:
    """CP-SAT alone (a repair window is small), warm-started from the roster after the event;
    the model freezes ``problem.frozen_days`` to ``problem.reference``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None, None, "UNKNOWN"  # no time at all: do not even build the model
    options = SolveOptions(time_limit=remaining, workers=workers, seed=seed, hint=after, strategy="cpsat")
    result = solve(problem, options)
    if result.schedule is None:
        return None, None, result.status
    return dataclasses.replace(result.schedule, source="repair"), result.objective, result.status
