"""Build the CP-SAT model of a roster problem from its rules."""

from __future__ import annotations

from careshift.domain.problem import RosterProblem
from careshift.engine.constraints import CATALOGUE, ORDER
from careshift.engine.model import EngineModel, UnsupportedRuleError


def unsupported_families(problem: RosterProblem) -> list[str]:
    """Families used by ``problem`` that the engine does not model, in rule order."""
    return list(dict.fromkeys(rule.family for rule in problem.rules if rule.family not in CATALOGUE))


def build_model(problem: RosterProblem) -> EngineModel:
    """The CP-SAT model of ``problem``: hard rules first, then soft, each by its family's
    builder; the objective is the sum of the soft rules' penalty terms.

    Raises ``UnsupportedRuleError`` naming every rule the engine cannot model, rather than
    ignoring one (a dropped hard rule would yield rosters that break policy).
    """
    missing = [rule for rule in problem.rules if rule.family not in CATALOGUE]
    if missing:
        names = ", ".join(f"{rule.id} ({rule.family}, {'hard' if rule.hard else 'soft'})" for rule in missing)
        raise UnsupportedRuleError(
            f"problem {problem.name}: the engine cannot model rule(s) {names}; "
            f"supported families: {', '.join(sorted(CATALOGUE))}. Remove or replace these rules in the policy, "
            "or check the schedule with the checker only"
        )
    first, last = problem.horizon.days[0], problem.horizon.days[-1]
    partial = [rule.id for rule in problem.rules if not (rule.in_effect(first) and rule.in_effect(last))]
    if partial:
        raise UnsupportedRuleError(
            f"problem {problem.name}: rule(s) {', '.join(partial)} take effect or expire inside the horizon "
            f"{first.isoformat()}..{last.isoformat()}; split the horizon at the effective date"
        )
    m = EngineModel(problem)
    for rule in problem.rules:
        if rule.family == "one_shift_per_day" and rule.hard:
            m.exclusive_days.update(member.id for member in m.staff_in_scope(rule))
    for rule in sorted(problem.rules, key=lambda r: (not r.hard, ORDER[r.family])):
        CATALOGUE[rule.family].build(m, rule)
    m.model.minimize(m.objective_expr())
    return m
