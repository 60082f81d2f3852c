"""The fallback chain: optimiser → greedy repair checked by the checker → last approved
schedule → the unit's coverage template.

The chain moves on when a step fails (solver crash, timeout, no roster), when the
data-quality gate blocks the optimiser, or when the checker finds a hard breach in what a
step produced. If no step yields a roster without hard breaches, the one with the fewest
breaches is proposed, with the checker's verdict in plain view, because an honest
imperfect roster helps a charge nurse more than nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from careshift.domain.checker import CheckReport, check
from careshift.domain.errors import ServiceUnavailableError
from careshift.domain.problem import RosterProblem
from careshift.domain.recommendations import ProducedBy
from careshift.domain.rules import ChangeCost, Rule, Scope
from careshift.domain.schedule import Schedule
from careshift.engine.fallback import greedy_repair, greedy_roster
from careshift.engine.repair import DEFAULT_CHANGE_WEIGHT
from careshift.service.repositories import PlanningInput, Solver
from careshift.telemetry.tracing import span


@dataclass(frozen=True)
class Proposal:
    """A proposed roster for a unit, who produced it, the checker's report on it, and why
    earlier steps of the chain were passed over (``fallback_reason``, empty for the optimiser)."""

    schedule: Schedule
    report: CheckReport
    produced_by: ProducedBy
    fallback_reason: str = ""
    model_version: str | None = None
    solver_status: str = ""
    gap: float | None = None
    """The optimiser's status and relative gap when it produced the roster (auto-mode confidence)."""


def with_stability(problem: RosterProblem, current: Schedule | None) -> RosterProblem:
    """The problem the optimiser solves: with ``current`` as the reference and, unless the
    policy has one, a soft change-cost rule (the engine's repair weight per assignment added
    or removed), so a repair moves as few people as the rules allow.

    Checks and explanations use the unit's own problem: the change penalty steers the
    search, it is not a breach to report.
    """
    if current is None:
        return problem
    stable = replace(problem, reference=problem.reference or current)
    if any(rule.family == ChangeCost.family for rule in problem.rules):
        return stable
    rule = Rule("service-change-cost", ChangeCost(), hard=False, weight=DEFAULT_CHANGE_WEIGHT, scope=Scope())
    return replace(stable, rules=(*problem.rules, rule))


def within_window(planning: PlanningInput, first_day: date, last_day: date) -> PlanningInput:
    """``planning`` repaired on ``first_day``..``last_day`` only: every other day of the
    horizon is frozen to the current roster (a demand trigger affects the days it names,
    so the rest of the roster stays as the scheduler knows it). The window is recorded in
    the recommendation's context."""
    problem = planning.problem
    frozen = frozenset(day for day in problem.horizon.days if not first_day <= day <= last_day)
    reference = problem.reference or planning.current
    context = {**planning.context, "window": f"{first_day.isoformat()}..{last_day.isoformat()}"}
    windowed = replace(problem, frozen_days=problem.frozen_days | frozen, reference=reference)
    return replace(planning, problem=windowed, context=context)


def pin_frozen(schedule: Schedule, problem: RosterProblem, current: Schedule | None) -> Schedule:
    """``schedule`` with the frozen days (``problem.frozen_days``) put back as ``current`` has
    them. The optimiser already fixes those days to ``problem.reference`` (``engine.build``);
    this guard keeps the promise for any producer and when the reference differs from
    ``current``, and the result is checked like any other (a clamp that breaks a hard rule
    moves the chain on)."""
    if not problem.frozen_days or current is None:
        return schedule
    kept = [a for a in schedule if a.day not in problem.frozen_days]
    pinned = [a for a in current if a.day in problem.frozen_days and a.day in problem.horizon]
    return Schedule.of([*kept, *pinned], source=schedule.source, policy_version=schedule.policy_version)


def _limit(schedule: Schedule, planning: PlanningInput) -> Schedule:
    """Keep the assignments of this problem's staff inside its horizon (older rosters may hold more)."""
    staff = {member.id for member in planning.problem.staff}
    kept = [a for a in schedule if a.staff in staff and a.day in planning.problem.horizon]
    return Schedule.of(kept, source=schedule.source)


def propose(
    planning: PlanningInput,
    solver: Solver,
    *,
    time_limit: float,
    approved: Schedule | None = None,
    template: Schedule | None = None,
    skip_optimiser: str = "",
) -> Proposal:
    """Run the chain for one unit and return the first roster the checker passes.

    ``skip_optimiser`` (e.g. the quality gate's block reason) starts the chain at step two.
    """
    problem = planning.problem
    solve_problem = with_stability(problem, planning.current)
    reasons: list[str] = []
    tried: list[Proposal] = []

    if skip_optimiser:
        reasons.append(f"optimiser skipped: {skip_optimiser}")
    else:
        try:
            attributes = {
                "careshift.solver.time_limit_s": time_limit,
                "careshift.solver.mode": "repair" if planning.current is not None else "plan",
            }
            with span("careshift.solve", **attributes) as solving:
                result = solver.solve(solve_problem, hint=planning.current, time_limit=time_limit)
                solving.set_attribute("careshift.solver.status", result.status)
                if result.gap is not None:
                    solving.set_attribute("careshift.solver.gap", result.gap)
        except ServiceUnavailableError as exc:
            reasons.append(f"optimiser unavailable: {exc}")
        else:
            if result.schedule is None:
                reasons.append(f"optimiser found no roster (status {result.status})")
            else:
                schedule = pin_frozen(result.schedule, problem, planning.current)
                report = check(problem, schedule)
                proposal = Proposal(
                    schedule,
                    report,
                    ProducedBy.OPTIMIZER,
                    "",
                    f"cp-sat {result.solver_version}",
                    result.status,
                    result.gap,
                )
                if report.feasible:
                    return proposal
                tried.append(proposal)
                reasons.append(f"optimiser roster has {len(report.hard_violations)} hard breach(es)")

    greedy = greedy_repair(problem, planning.current) if planning.current is not None else greedy_roster(problem)
    steps: list[tuple[ProducedBy, Schedule, CheckReport]] = [(ProducedBy.GREEDY_REPAIR, greedy.schedule, greedy.report)]
    for produced_by, candidate in ((ProducedBy.LAST_APPROVED, approved), (ProducedBy.COVERAGE_TEMPLATE, template)):
        if candidate is not None:
            limited = _limit(candidate, planning)
            steps.append((produced_by, limited, check(problem, limited)))

    for produced_by, schedule, report in steps:
        why = "; ".join(reasons)
        proposal = Proposal(
            schedule, report, produced_by, why, "greedy" if produced_by is ProducedBy.GREEDY_REPAIR else None
        )
        if report.feasible:
            return proposal
        tried.append(proposal)
        reasons.append(f"{produced_by.value} roster has {len(report.hard_violations)} hard breach(es)")

    # Nothing passed: the least-bad roster, earlier steps winning ties.
    best = min(enumerate(tried), key=lambda pair: (len(pair[1].report.hard_violations), pair[1].report.cost, pair[0]))[
        1
    ]
    why = "; ".join(reasons) + "; no step met every hard rule, proposing the one with the fewest breaches"
    return replace(best, fallback_reason=why)
