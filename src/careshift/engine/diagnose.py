"""Diagnose an infeasible roster problem: which hard rules or requirements to relax.

When no roster satisfies every hard rule, a scheduler needs to know *what* to give up:
"allow C a 6th day in a row" or "accept 2 nurses instead of 3 on Tuesday's night". We
find it exactly with CP-SAT:

1. Every hard rule instance gets an enforcement literal, at the grain a scheduler can act
   on: one per rule and person (runs, counts, minutes, weekends, successions, skills,
   credentials), one per person and day off (``days_off``), one per cover line
   (``cover_floor``), one per frozen day of a repair. The model is the engine's own
   (``build_model(guarded=True)``: the same constraint builders, each hard constraint
   under its instance's literal), so the diagnosis and the solver cannot disagree on what
   a rule means. The literals are passed as assumptions (``model.add_assumptions``); an
   infeasible solve returns a subset of them that is already infeasible
   (``sufficient_assumptions_for_infeasibility``).
2. That core is shrunk to a minimal conflict by deletion: drop one member, re-solve with
   the rest; if still infeasible the member was not needed. The most important members
   are tried first, so the conflict that remains is made of the least important items.
3. Relaxing one member of the conflict resolves it: we relax the member with the lowest
   ``Rule.priority`` and repeat until the problem is feasible, then drop from the
   relaxations any that turn out unnecessary. The result is a minimal set of relaxations.

**Priority.** ``Rule.priority``: higher = more important (as in the policy packs: law
≈ 900–1000, contract ≈ 650–700); the diagnosis relaxes the *lowest* priority first and
lists relaxations in that order. Ties fall to the problem's rule order, then staff/day.

**What is encoded.** Only hard rules matter for feasibility; soft rules are left out.
Every hard rule of a family the engine models (``constraints.CATALOGUE``) and in effect
over the whole horizon is encoded. Other hard rules (a family the engine cannot model, or
one that takes effect or expires inside the horizon) are listed in
``Diagnosis.not_encoded``: a problem that is infeasible only through them is reported as
"no conflict among the encoded rules".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from careshift.domain.demand import ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import Rule
from careshift.engine.build import build_model
from careshift.engine.constraints import CATALOGUE
from careshift.engine.model import Guard

Lit = cp_model.IntVar

#: Priority of "unfreeze a day" in a repair's diagnosis: below contract rules (≈ 650) and
#: cover floors (≈ 850), so changing the near horizon is suggested before breaking them.
FROZEN_PRIORITY = 500


@dataclass(frozen=True)
class Relaxation:
    """One hard rule instance or requirement that can be relaxed.

    ``staff``/``day``/``line`` say which instance: a rule for one person, one day off, or
    one cover line. ``text`` is the plain-language suggestion.
    """

    rule_id: str
    family: str
    title: str
    priority: int
    text: str
    staff: str | None = None
    day: date | None = None
    line: ShiftCover | None = None


@dataclass(frozen=True)
class Diagnosis:
    """What makes a problem infeasible and what to relax, least important first.

    ``feasible`` is True when the encoded hard rules can all be met; ``decided`` is False when
    even that could not be settled within the time limit. ``conflicts`` are the
    minimal conflicting sets found (relaxing any one member resolves that conflict);
    ``relaxations`` is a minimal set whose relaxation makes the problem feasible.
    """

    feasible: bool
    relaxations: tuple[Relaxation, ...]
    conflicts: tuple[tuple[Relaxation, ...], ...]
    not_encoded: tuple[str, ...]
    solves: int
    complete: bool = True
    decided: bool = True

    def explain(self) -> str:
        """Plain language for the scheduler."""
        if not self.decided:
            return (
                "Could not decide within the time limit whether a roster meets every hard rule; "
                "give the diagnosis more time."
            )
        if self.feasible and not self.relaxations:
            text = "A roster meets every hard rule"
            if self.not_encoded:
                text += f" checked here (not checked: {', '.join(self.not_encoded)})"
            return text + "."
        lines = ["No roster meets every hard rule. Relax, least important first:"]
        lines += [f"- {item.text} (priority {item.priority})" for item in self.relaxations]
        for index, conflict in enumerate(self.conflicts, 1):
            members = "; ".join(item.text for item in conflict)
            lines.append(f"Conflict {index} (relaxing any one of these resolves it): {members}.")
        if not self.complete:
            lines.append("The search hit its time limit; the list may not be minimal.")
        return "\n".join(lines)

    def error(self) -> InfeasibleError:
        """An ``InfeasibleError`` carrying the relaxations' texts, best first."""
        return InfeasibleError(self.explain(), relaxations=tuple(item.text for item in self.relaxations))


def relax(problem: RosterProblem, relaxations: Sequence[Relaxation]) -> RosterProblem:
    """``problem`` with ``relaxations`` applied: a cover line's floor set to 0 (a line held
    by a hard target dropped), a day off
    given back, a frozen day unfrozen, or a hard rule's scope narrowed to leave the person out (the rule dropped
    when nobody is left). Lets a scheduler (and the tests) re-solve what a diagnosis suggests."""
    floors = {r.line for r in relaxations if r.family == "cover_floor" and r.line is not None}
    targets = {r.line for r in relaxations if r.family == "cover_target" and r.line is not None}
    cover = tuple(
        dataclasses.replace(line, floor=0) if line in floors else line for line in problem.cover if line not in targets
    )
    days_off = {staff: set(days) for staff, days in problem.days_off.items()}
    for item in relaxations:
        if item.family == "days_off" and item.staff is not None and item.day is not None:
            days_off.get(item.staff, set()).discard(item.day)
    left_out: dict[str, set[str]] = {}
    for item in relaxations:
        if item.family not in ("cover_floor", "cover_target", "days_off", "frozen_days") and item.staff is not None:
            left_out.setdefault(item.rule_id, set()).add(item.staff)
    rules = []
    for rule in problem.rules:
        if rule.id in left_out:
            keep = frozenset(m.id for m in problem.staff if rule.scope.covers(m) and m.id not in left_out[rule.id])
            if not keep:
                continue
            rule = dataclasses.replace(rule, scope=dataclasses.replace(rule.scope, staff=keep))
        rules.append(rule)
    unfrozen = {item.day for item in relaxations if item.family == "frozen_days"}
    return dataclasses.replace(
        problem,
        cover=cover,
        days_off={staff: frozenset(days) for staff, days in days_off.items()},
        rules=tuple(rules),
        frozen_days=problem.frozen_days - unfrozen,
    )


# -- the encoding -----------------------------------------------------------------------------


class _Encoding:
    """The engine's own model of the hard rules, guarded (``build_model(guarded=True)``):
    each rule instance and frozen day is one item, a literal with what relaxing it means."""

    def __init__(self, problem: RosterProblem, frozen_priority: int) -> None:
        m = build_model(problem, guarded=True)  # hard rules only: the objective is 0
        self.model = m.model
        self.items: list[tuple[Lit, Relaxation, int]] = []  # literal, what it guards, rule order
        for guard in m.guards.values():
            relaxation, order = _relaxation(guard, frozen_priority, len(problem.rules))
            self.items.append((guard.literal, relaxation, order))


def _relaxation(guard: Guard, frozen_priority: int, last: int) -> tuple[Relaxation, int]:
    """What switching ``guard`` off means, in words, and its rule order (for ties)."""
    if guard.family == "frozen_days" and guard.day is not None:
        text = f"unfreeze {guard.day.isoformat()}: allow changes to that day's roster (frozen near horizon)"
        title = "Frozen near horizon"
        return Relaxation("frozen_days", "frozen_days", title, frozen_priority, text, day=guard.day), last
    order = min(position for _, position in guard.rules)
    if guard.family == "days_off" and guard.day is not None:
        # leave and a call-out may name the same day: working it breaks them all, so the
        # item has the highest priority among them
        first = max(guard.rules, key=lambda pair: (pair[0].priority, -pair[1]))[0]
        names = ", ".join(rule.id for rule, _ in guard.rules)
        text = (
            f"let {guard.staff} work on {guard.day.isoformat()}, a fixed day off or leave ({first.title}, rule {names})"
        )
        return Relaxation(first.id, first.family, first.title, first.priority, text, guard.staff, guard.day), order
    rule = guard.rules[0][0]
    if guard.line is not None:
        line = guard.line
        label = " ".join(p for p in (line.shift, line.skill or "", f"on {line.unit}" if line.unit else "") if p)
        need = f"fewer than {line.floor} staff" if rule.family == "cover_floor" else "a different number of staff"
        text = f"accept {need} on {label} on {line.day.isoformat()} ({rule.title}, rule {rule.id})"
        return Relaxation(rule.id, rule.family, rule.title, rule.priority, text, day=line.day, line=line), order
    who = f" for {guard.staff}" if guard.staff is not None else ""
    text = f"relax {rule.title}{who} (rule {rule.id})"
    return Relaxation(rule.id, rule.family, rule.title, rule.priority, text, guard.staff), order


# -- the search -----------------------------------------------------------------------------------


class _Oracle:
    """Solves the encoding under a chosen set of enforced items."""

    def __init__(self, encoding: _Encoding, time_limit: float, seed: int) -> None:
        self.encoding = encoding
        self.time_limit = time_limit
        self.seed = seed
        self.solves = 0
        self.timed_out = False
        self.last_unknown = False

    def solve(self, enforced: Sequence[int]) -> tuple[bool, list[int]]:
        """(feasible, core): the core is a subset of ``enforced`` that is infeasible."""
        self.solves += 1
        model = self.encoding.model
        model.clear_assumptions()
        literals = [self.encoding.items[i][0] for i in enforced]
        model.add_assumptions(literals)
        solver = cp_model.CpSolver()
        # One worker: the core CP-SAT returns comes from its sequential search.
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.seed
        solver.parameters.max_time_in_seconds = self.time_limit
        status = solver.solve(model)
        self.last_unknown = status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return True, []
        if self.last_unknown:
            # undecided in time: count it as feasible, so we never claim a conflict we did not prove
            self.timed_out = True
            return True, []
        by_index = {self.encoding.items[i][0].index: i for i in enforced}
        core = [by_index[index] for index in solver.sufficient_assumptions_for_infeasibility() if index in by_index]
        return False, core or list(enforced)


def _importance(encoding: _Encoding, item: int) -> tuple[int, int, int]:
    _literal, relaxation, order = encoding.items[item]
    return (relaxation.priority, order, item)


def _minimise(oracle: _Oracle, core: list[int]) -> list[int]:
    """Deletion-based: drop each member (most important first) if the rest stays infeasible."""
    kept = sorted(core, key=lambda i: _importance(oracle.encoding, i), reverse=True)
    position = 0
    while position < len(kept):
        trial = kept[:position] + kept[position + 1 :]
        feasible, smaller = oracle.solve(trial)
        if not feasible:
            smaller_set = set(smaller)
            kept = [i for i in trial if i in smaller_set]
        else:
            position += 1
    return kept


def diagnose(
    problem: RosterProblem, *, time_limit: float = 10.0, seed: int = 0, frozen_priority: int = FROZEN_PRIORITY
) -> Diagnosis:
    """Find a minimal set of hard rule instances or requirements whose relaxation makes
    ``problem`` feasible, least important (lowest ``Rule.priority``) first, with the
    minimal conflicts behind them. ``time_limit`` bounds each CP-SAT call.

    With ``problem.reference`` and ``problem.frozen_days`` (a repair), each frozen day is
    one more item — "unfreeze this day" — of priority ``frozen_priority``."""
    first, last = problem.horizon.days[0], problem.horizon.days[-1]
    encoded: list[Rule] = []
    not_encoded = []
    for rule in problem.rules:
        if not rule.hard or not any(rule.in_effect(day) for day in problem.horizon.days):
            continue
        if rule.family in CATALOGUE and rule.in_effect(first) and rule.in_effect(last):
            encoded.append(rule)
        else:
            not_encoded.append(f"{rule.id} ({rule.family})")
    encoding = _Encoding(dataclasses.replace(problem, rules=tuple(encoded)), frozen_priority)
    oracle = _Oracle(encoding, time_limit, seed)
    active = list(range(len(encoding.items)))
    relaxed: list[int] = []
    conflicts: list[list[int]] = []
    feasible, core = oracle.solve(active)
    if oracle.last_unknown:
        return Diagnosis(False, (), (), tuple(not_encoded), oracle.solves, complete=False, decided=False)
    while not feasible:
        conflict = _minimise(oracle, core)
        conflicts.append(conflict)
        cheapest = min(conflict, key=lambda i: _importance(encoding, i))
        relaxed.append(cheapest)
        active.remove(cheapest)
        feasible, core = oracle.solve(active)
    # drop relaxations that turned out unnecessary, most important first
    for item in sorted(relaxed, key=lambda i: _importance(encoding, i), reverse=True):
        trial = [i for i in relaxed if i != item]
        dropped = set(trial)
        again, _ = oracle.solve([i for i in range(len(encoding.items)) if i not in dropped])
        if again:
            relaxed = trial

    def describe(items: Sequence[int]) -> tuple[Relaxation, ...]:
        ordered = sorted(items, key=lambda i: _importance(encoding, i))
        return tuple(encoding.items[i][1] for i in ordered)

    return Diagnosis(
        feasible=not relaxed,
        relaxations=describe(relaxed),
        conflicts=tuple(describe(conflict) for conflict in conflicts),
        not_encoded=tuple(not_encoded),
        solves=oracle.solves,
        complete=not oracle.timed_out,
    )
