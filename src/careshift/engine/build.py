"""Build the CP-SAT model of a roster problem from its rules."""

from __future__ import annotations

from collections.abc import Callable

from careshift.domain.problem import RosterProblem
from careshift.engine.constraints import CATALOGUE, ORDER
from careshift.engine.model import EngineModel, UnsupportedRuleError


def unsupported_families(problem: RosterProblem) -> list[str]:
    """Families used by ``problem`` that the engine does not model, in rule order."""
    return list(dict.fromkeys(rule.family for rule in problem.rules if rule.family not in CATALOGUE))


ExtraConstraints = Callable[[EngineModel], None]


def build_model(problem: RosterProblem, *, guarded: bool = False, extra: ExtraConstraints | None = None) -> EngineModel:
    """The CP-SAT model of ``problem``: hard rules first, then soft, each by its family's
    builder, then the frozen days (``freeze``), then ``extra(model)`` (a caller's own
    constraints); the objective is the sum of the soft rules' penalty terms.

    ``guarded`` puts every hard rule instance and frozen day under its own enforcement
    literal (``EngineModel.guards``) so the diagnosis can switch them off one by one.

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
    m = EngineModel(problem, guarded=guarded)
    for rule in problem.rules:
        if rule.family == "one_shift_per_day" and rule.hard and not guarded:
            m.exclusive_days.update(member.id for member in m.staff_in_scope(rule))
    for rule in sorted(problem.rules, key=lambda r: (not r.hard, ORDER[r.family])):
        CATALOGUE[rule.family].build(m, rule)
    freeze(m)
    if extra is not None:
        extra(m)
    m.model.minimize(m.objective_expr())
    return m


def freeze(m: EngineModel) -> int:
    """Fix every work variable on ``problem.frozen_days`` to ``problem.reference`` (the near
    horizon during repair: nothing there changes); returns how many. Without a reference
    nothing is frozen, since there is nothing to keep."""
    problem = m.problem
    if problem.reference is None or not problem.frozen_days:
        return 0
    frozen = {problem.horizon.index(day) for day in problem.frozen_days if day in problem.horizon}
    kept = {(a.staff, a.day, a.shift, a.skill) for a in problem.reference}
    count = 0
    for (staff, d, slot), var in m.work.items():
        if d in frozen:
            m.hard(None, m.model.add(var == int((staff, m.days[d], slot.shift, slot.skill) in kept)), day=d)
            count += 1
    return count
