"""Diagnose an infeasible roster problem: which hard rules or requirements to relax.

When no roster satisfies every hard rule, a scheduler needs to know *what* to give up:
"allow C a 6th day in a row" or "accept 2 nurses instead of 3 on Tuesday's night". We
find it exactly with CP-SAT:

1. Every hard rule instance gets an enforcement literal, at the grain a scheduler can act
   on: one per rule and person (runs, counts, minutes, weekends, successions, skills,
   credentials), one per person and day off (``days_off``), one per cover line
   (``cover_floor``). The literals are passed as assumptions
   (``model.add_assumptions``); an infeasible solve returns a subset of them that is
   already infeasible (``sufficient_assumptions_for_infeasibility``).
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
The encoding here is our own, small and feasibility-only, of the hard day-based families
(the Curtois–Qu and INRC-II hard rules and their kin): ``one_shift_per_day``,
``skill_required``, ``credential_required``, ``days_off``, ``forbidden_successions``,
``cover_floor``, ``shift_type_count``, ``assignment_count``, ``worked_minutes``,
``consecutive_working_days``, ``consecutive_same_shift``, ``consecutive_days_off``,
``max_working_weekends``, ``complete_weekends``, with the checker's border rules. The
engine's constraint builders add hard constraints unconditionally, so they cannot be
switched off one by one (see the report for the hook that would let us reuse them).
Hard rules of other families are listed in ``Diagnosis.not_encoded``: a problem that is
infeasible only through them is reported as "no conflict among the encoded rules".
Effective dates are honoured per day for day-level items and ignored for horizon totals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import Literal

from careshift.domain.demand import ShiftCover
from careshift.domain.errors import InfeasibleError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules import (
    AssignmentCount,
    ConsecutiveDaysOff,
    ConsecutiveSameShift,
    ConsecutiveWorkingDays,
    CredentialRequired,
    ForbiddenSuccessions,
    MaxWorkingWeekends,
    Rule,
    ShiftTypeCount,
    WorkedMinutes,
)
from careshift.domain.workforce import Staff, worked_minutes

Lit = cp_model.IntVar

#: Priority of "unfreeze a day" in a repair's diagnosis: below contract rules (≈ 650) and
#: cover floors (≈ 850), so changing the near horizon is suggested before breaking them.
FROZEN_PRIORITY = 500

ENCODED_FAMILIES = frozenset(
    {
        "one_shift_per_day",
        "skill_required",
        "credential_required",
        "days_off",
        "forbidden_successions",
        "cover_floor",
        "shift_type_count",
        "assignment_count",
        "worked_minutes",
        "consecutive_working_days",
        "consecutive_same_shift",
        "consecutive_days_off",
        "max_working_weekends",
        "complete_weekends",
    }
)


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
    """``problem`` with ``relaxations`` applied: a cover line's floor set to 0, a day off
    given back, a frozen day unfrozen, or a hard rule's scope narrowed to leave the person out (the rule dropped
    when nobody is left). Lets a scheduler (and the tests) re-solve what a diagnosis suggests."""
    floors = {r.line for r in relaxations if r.family == "cover_floor" and r.line is not None}
    cover = tuple(dataclasses.replace(line, floor=0) if line in floors else line for line in problem.cover)
    days_off = {staff: set(days) for staff, days in problem.days_off.items()}
    for item in relaxations:
        if item.family == "days_off" and item.staff is not None and item.day is not None:
            days_off.get(item.staff, set()).discard(item.day)
    left_out: dict[str, set[str]] = {}
    for item in relaxations:
        if item.family not in ("cover_floor", "days_off", "frozen_days") and item.staff is not None:
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
    """Assignment booleans plus every hard rule instance guarded by its own literal."""

    def __init__(self, problem: RosterProblem) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.days = problem.horizon.days
        self.shift_ids = tuple(shift.id for shift in problem.shift_types)
        skills = sorted({line.skill for line in problem.cover if line.skill is not None})
        self.skills: tuple[str | None, ...] = tuple(skills) if skills else (None,)
        self.x: dict[tuple[str, int, str, str | None], Lit] = {}
        for member in problem.staff:
            for d in range(len(self.days)):
                for shift in self.shift_ids:
                    for skill in self.skills:
                        name = f"work[nurse={member.id},day={d},shift={shift}" + (f",skill={skill}]" if skill else "]")
                        self.x[member.id, d, shift, skill] = self.model.new_bool_var(name)
        self._works: dict[tuple[str, int], Lit] = {}
        self._on: dict[tuple[str, int, str], Lit] = {}
        self.items: list[tuple[Lit, Relaxation, int]] = []  # literal, what it guards, rule order
        self._days_off_done = False

    def on_day(self, staff: str, d: int, shift: str | None = None) -> list[Lit]:
        return [
            self.x[staff, d, s, skill] for s in self.shift_ids if shift is None or s == shift for skill in self.skills
        ]

    def _or(self, items: Sequence[Lit], name: str) -> Lit:
        result = self.model.new_bool_var(name)
        self.model.add_max_equality(result, list(items))
        return result

    def works(self, staff: str, d: int) -> Lit:
        if (staff, d) not in self._works:
            self._works[staff, d] = self._or(self.on_day(staff, d), f"works[nurse={staff},day={d}]")
        return self._works[staff, d]

    def on_shift(self, staff: str, d: int, shift: str) -> Lit:
        if (staff, d, shift) not in self._on:
            self._on[staff, d, shift] = self._or(
                self.on_day(staff, d, shift), f"on[nurse={staff},day={d},shift={shift}]"
            )
        return self._on[staff, d, shift]

    def freeze(self, priority: int, order: int) -> None:
        """Each frozen day keeps the reference exactly, under its own literal."""
        reference = self.problem.reference
        if reference is None:
            return
        kept = {(a.staff, a.day, a.shift, a.skill) for a in reference}
        for day in sorted(self.problem.frozen_days):
            if day not in self.problem.horizon:
                continue
            text = f"unfreeze {day.isoformat()}: allow changes to that day's roster (frozen near horizon)"
            relaxation = Relaxation("frozen_days", "frozen_days", "Frozen near horizon", priority, text, day=day)
            literal = self.guard(relaxation, order)
            d = self.problem.horizon.index(day)
            for (staff, index, shift, skill), var in self.x.items():
                if index == d:
                    self.model.add(var == int((staff, day, shift, skill) in kept)).only_enforce_if(literal)

    def guard(self, relaxation: Relaxation, order: int) -> Lit:
        literal = self.model.new_bool_var(f"enforce[{relaxation.rule_id},{relaxation.staff},{relaxation.day}]")
        self.items.append((literal, relaxation, order))
        return literal

    # -- families ------------------------------------------------------------------------------

    def encode(self, rule: Rule, order: int) -> None:
        if rule.family == "cover_floor":
            self._cover_floor(rule, order)
            return
        if rule.family == "days_off":
            self._days_off()
            return
        for member in self.problem.staff:
            if rule.scope.covers(member):
                literal = self.guard(_person(rule, member), order)
                self._per_person(rule, member, literal)

    def _cover_floor(self, rule: Rule, order: int) -> None:
        for line in self.problem.cover:
            if line.floor <= 0 or line.day not in self.problem.horizon or not rule.scope.covers_unit(line.unit):
                continue
            if not rule.in_effect(line.day) or line.shift not in self.shift_ids:
                continue
            d = self.problem.horizon.index(line.day)
            covering = [
                self.x[member.id, d, line.shift, skill]
                for member in self.problem.staff
                if line.unit is None or member.home_unit == line.unit
                for skill in self.skills
                if line.skill is None or skill == line.skill
            ]
            label = " ".join(p for p in (line.shift, line.skill or "", f"on {line.unit}" if line.unit else "") if p)
            text = (
                f"accept fewer than {line.floor} staff on {label} on {line.day.isoformat()} "
                f"({rule.title}, rule {rule.id})"
            )
            relaxation = Relaxation(rule.id, rule.family, rule.title, rule.priority, text, day=line.day, line=line)
            self.model.add(sum(covering) >= line.floor).only_enforce_if(self.guard(relaxation, order))

    def _days_off(self) -> None:
        """One item per person and day off, whichever hard ``days_off`` rules bind it (leave
        and a call-out may name the same day): its priority is the highest of them, since
        working that day breaks them all."""
        if self._days_off_done:
            return
        self._days_off_done = True
        rules = [(r, i) for i, r in enumerate(self.problem.rules) if r.hard and r.family == "days_off"]
        for member in self.problem.staff:
            for day in sorted(self.problem.days_off.get(member.id, frozenset())):
                if day not in self.problem.horizon:
                    continue
                binding = [(r, i) for r, i in rules if r.scope.covers(member) and r.in_effect(day)]
                if not binding:
                    continue
                first, first_order = max(binding, key=lambda pair: (pair[0].priority, -pair[1]))
                names = ", ".join(r.id for r, _ in binding)
                text = (
                    f"let {member.id} work on {day.isoformat()}, a fixed day off or leave ({first.title}, rule {names})"
                )
                relaxation = Relaxation(first.id, first.family, first.title, first.priority, text, member.id, day)
                literal = self.guard(relaxation, min(i for _, i in binding))
                for var in self.on_day(member.id, self.problem.horizon.index(day)):
                    self.model.add_implication(literal, var.Not())

    def _per_person(self, rule: Rule, member: Staff, on: Lit) -> None:
        staff, spec, n = member.id, rule.spec, len(self.days)
        history = self.problem.history_of(staff)
        if rule.family == "one_shift_per_day":
            for d in range(n):
                if rule.in_effect(self.days[d]):
                    self.model.add(sum(self.on_day(staff, d)) <= 1).only_enforce_if(on)
        elif rule.family == "skill_required":
            for (who, d, _shift, skill), var in self.x.items():
                if who == staff and skill is not None and skill not in member.skills and rule.in_effect(self.days[d]):
                    self.model.add_implication(on, var.Not())
        elif isinstance(spec, CredentialRequired):
            for d, day in enumerate(self.days):
                if rule.in_effect(day) and not all(member.has_credential(code, day) for code in spec.credentials):
                    for var in self.on_day(staff, d):
                        self.model.add_implication(on, var.Not())
        elif isinstance(spec, ForbiddenSuccessions):
            pairs = set(spec.extra_pairs)
            for shift in self.problem.shift_types:
                pairs.update((shift.id, following) for following in shift.forbidden_next)
            for first, then in sorted(pairs):
                if first not in self.shift_ids or then not in self.shift_ids:
                    continue
                for d in range(1, n):
                    if rule.in_effect(self.days[d]):
                        for a in self.on_day(staff, d - 1, first):
                            for b in self.on_day(staff, d, then):
                                self.model.add_bool_or([a.Not(), b.Not()]).only_enforce_if(on)
                if history is not None and history.last_shift == first and rule.in_effect(self.days[0]):
                    for b in self.on_day(staff, 0, then):
                        self.model.add_implication(on, b.Not())
        elif isinstance(spec, ShiftTypeCount):
            if spec.shift in self.shift_ids:
                count = sum(var for d in range(n) for var in self.on_day(staff, d, spec.shift))
                self._within(count, spec.minimum, spec.maximum, on)
        elif isinstance(spec, AssignmentCount):
            done = history.total_assignments if history is not None else 0
            count = sum(var for d in range(n) for var in self.on_day(staff, d))
            self._within(count + done, spec.minimum, spec.maximum, on)
        elif isinstance(spec, WorkedMinutes):
            tz = self.problem.horizon.timezone
            minutes = sum(
                worked_minutes(self.problem.shift_type(shift), self.days[d], tz) * var
                for (who, d, shift, _skill), var in self.x.items()
                if who == staff
            )
            self._within(minutes, spec.minimum, spec.maximum, on)
        elif isinstance(spec, ConsecutiveWorkingDays):
            before = history.consecutive_work_days if history is not None else None
            flags: list[Literal] = [self.works(staff, d) for d in range(n)]
            self._runs(flags, spec.minimum, spec.maximum, before, on)
        elif isinstance(spec, ConsecutiveDaysOff):
            before = history.consecutive_days_off if history is not None else None
            flags = [self.works(staff, d).Not() for d in range(n)]
            self._runs(flags, spec.minimum, spec.maximum, before, on)
        elif isinstance(spec, ConsecutiveSameShift):
            if spec.shift in self.shift_ids:
                same = None
                if history is not None:
                    same = history.consecutive_same_shift if history.last_shift == spec.shift else 0
                flags = [self.on_shift(staff, d, spec.shift) for d in range(n)]
                self._runs(flags, spec.minimum, spec.maximum, same, on)
        elif isinstance(spec, MaxWorkingWeekends):
            done = history.total_working_weekends if history is not None else 0
            worked = []
            for weekend in self.problem.horizon.weekends():
                indexes = [self.problem.horizon.index(day) for day in weekend]
                worked.append(self._or([self.works(staff, d) for d in indexes], f"weekend[nurse={staff}]"))
            self.model.add(sum(worked) + done <= spec.maximum).only_enforce_if(on)
        elif rule.family == "complete_weekends":
            for weekend in self.problem.horizon.weekends():
                if len(weekend) == 2:
                    saturday, sunday = (self.problem.horizon.index(day) for day in weekend)
                    self.model.add(self.works(staff, saturday) == self.works(staff, sunday)).only_enforce_if(on)

    def _within(self, expr: cp_model.LinearExprT, low: int | None, high: int | None, on: Lit) -> None:
        if low is not None:
            self.model.add(expr >= low).only_enforce_if(on)
        if high is not None:
            self.model.add(expr <= high).only_enforce_if(on)

    def _runs(
        self, flags: Sequence[Literal], minimum: int | None, maximum: int | None, before: int | None, on: Lit
    ) -> None:
        """Runs of true ``flags`` within ``[minimum, maximum]`` under the checker's border
        rules; ``before`` is the history's open run (None: no history)."""
        n = len(flags)
        prior = before or 0
        if maximum is not None:
            for start in range(n):
                window = flags[start : start + maximum + 1]
                if len(window) == maximum + 1:
                    self.model.add(sum(window) <= maximum).only_enforce_if(on)
            if prior > 0:
                # the run carried in from history may not grow beyond max(maximum, prior)
                k = max(maximum, prior) - prior + 1
                if k <= n:
                    self.model.add(sum(flags[:k]) <= k - 1).only_enforce_if(on)
        if minimum is None or minimum <= 1:
            return
        if before is not None and 0 < before < minimum:
            self.model.add_implication(on, flags[0])  # the history run must not stop at the border
        for start in range(n):
            if start == 0 and before is None:
                continue  # no history: a run touching day one is never short
            carried = prior if start == 0 else 0
            for length in range(1, minimum - carried):
                end = start + length
                if end >= n:
                    break  # a run still open on the last day is never short
                pattern = [flags[i].Not() for i in range(start, end)] + [flags[end]]
                if start > 0:
                    pattern.append(flags[start - 1])
                self.model.add_bool_or(pattern).only_enforce_if(on)


def _person(rule: Rule, member: Staff) -> Relaxation:
    text = f"relax {rule.title} for {member.id} (rule {rule.id})"
    return Relaxation(rule.id, rule.family, rule.title, rule.priority, text, member.id)


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
    encoding = _Encoding(problem)
    not_encoded = []
    for order, rule in enumerate(problem.rules):
        if not rule.hard:
            continue
        if rule.family in ENCODED_FAMILIES:
            encoding.encode(rule, order)
        else:
            not_encoded.append(f"{rule.id} ({rule.family})")
    encoding.freeze(frozen_priority, len(problem.rules))
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
