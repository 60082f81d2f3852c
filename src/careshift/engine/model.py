"""The CP-SAT model of a roster problem: decision variables, penalties and the objective.

One Boolean ``work[nurse=…,day=…,shift=…]`` (``,skill=…`` when cover asks for skills) per
staff member, day and shift they could work. Rule families add constraints through the
builders in :mod:`careshift.engine.constraints`; a hard rule becomes constraints, a soft
rule becomes a bound plus named penalty terms whose coefficients are
``rule.weight × finding factor``, so the objective is the checker's cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import Literal

from careshift.domain.demand import ShiftCover
from careshift.domain.errors import DomainError
from careshift.domain.problem import RosterProblem
from careshift.domain.rules.base import Rule
from careshift.domain.workforce import Staff

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

LinearExpr = cp_model.LinearExprT


class UnsupportedRuleError(DomainError):
    """The problem holds a rule family the engine cannot model yet.

    Raised instead of ignoring the rule, because silently dropping a hard rule would
    produce rosters that break policy.
    """


@dataclass(frozen=True)
class Penalty:
    """One named penalty term: ``coefficient × amount`` enters the objective.

    ``amount`` is an affine expression over model variables in the family's natural unit
    (days, shifts, minutes, people); ``coefficient`` is ``rule.weight × factor``.
    """

    rule_id: str
    family: str
    coefficient: int
    amount: LinearExpr
    staff: str | None = None
    day: date | None = None
    label: str = ""


@dataclass
class Guard:
    """The enforcement literal of one hard rule instance in a guarded model.

    The grain is what a scheduler can act on: one cover line (``line``), one person's day
    off (``day``; every hard ``days_off`` rule binding that day shares it), one frozen day
    (``family == "frozen_days"``, no rule), or one rule for one person (``staff``).
    ``rules`` are the hard rules it guards with their positions in ``problem.rules``.
    """

    literal: cp_model.IntVar
    family: str
    rules: list[tuple[Rule, int]]
    staff: str | None = None
    day: date | None = None
    line: ShiftCover | None = None


@dataclass(frozen=True)
class Slot:
    """What a staff member can be assigned to on one day: a shift, covering a skill."""

    shift: str
    skill: str | None = None


@dataclass
class EngineModel:
    """A CP-SAT model under construction for one ``RosterProblem``.

    Builders read the indexes here (``work``, ``works``, ``on_shift``) and add constraints
    and penalties; nothing here knows about any particular rule family.

    A *guarded* model (``guarded=True``, for the diagnosis) puts every hard constraint under
    the enforcement literal of its rule instance (``guards``, see ``Guard``), so each
    instance can be switched off on its own; it keeps every skill slot (a hard skill rule
    fixes the unheld ones to 0 under its literal) and never assumes one shift a day.
    """

    problem: RosterProblem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    penalties: list[Penalty] = field(default_factory=list)
    work: dict[tuple[str, int, Slot], cp_model.IntVar] = field(default_factory=dict)
    _works: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    _on_shift: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    exclusive_days: set[str] = field(default_factory=set)
    guarded: bool = False
    guards: dict[tuple[object, ...], Guard] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._positions = {id(rule): index for index, rule in enumerate(self.problem.rules)}
        self.days: tuple[date, ...] = self.problem.horizon.days
        self.shift_ids: tuple[str, ...] = tuple(s.id for s in self.problem.shift_types)
        cover_skills = sorted({c.skill for c in self.problem.cover if c.skill is not None})
        self.skills: tuple[str | None, ...] = tuple(cover_skills) if cover_skills else (None,)
        self.slots: dict[str, tuple[Slot, ...]] = {}
        for member in self.problem.staff:
            self.slots[member.id] = tuple(
                Slot(shift, skill) for shift in self.shift_ids for skill in self._skills_for(member)
            )
        for member in self.problem.staff:
            for d in range(len(self.days)):
                for slot in self.slots[member.id]:
                    name = f"work[nurse={member.id},day={d},shift={slot.shift}"
                    name += f",skill={slot.skill}]" if slot.skill is not None else "]"
                    self.work[member.id, d, slot] = self.model.new_bool_var(name)

    def _skills_for(self, member: Staff) -> tuple[str | None, ...]:
        """Skills a member may cover; a hard skill rule removes the ones they lack up front."""
        if self.skills == (None,) or self.guarded:
            return self.skills
        for rule in self.problem.rules:
            if rule.family == "skill_required" and rule.hard and rule.scope.covers(member):
                return tuple(skill for skill in self.skills if skill in member.skills)
        return self.skills

    # -- indexes ---------------------------------------------------------------------------

    def staff_in_scope(self, rule: Rule) -> list[Staff]:
        return [member for member in self.problem.staff if rule.scope.covers(member)]

    def vars_on(self, staff: str, day: int, shift: str | None = None) -> list[cp_model.IntVar]:
        """The ``work`` variables of ``staff`` on day index ``day`` (for one shift if given)."""
        return [self.work[staff, day, slot] for slot in self.slots[staff] if shift is None or slot.shift == shift]

    def works(self, staff: str, day: int) -> cp_model.IntVar:
        """A literal that is true when ``staff`` works any shift on day index ``day``."""
        key = (staff, day)
        if key not in self._works:
            items = self.vars_on(staff, day)
            self._works[key] = self._or(items, f"works[nurse={staff},day={day}]", staff in self.exclusive_days)
        return self._works[key]

    def on_shift(self, staff: str, day: int, shift: str) -> cp_model.IntVar:
        """A literal that is true when ``staff`` works ``shift`` on day index ``day``."""
        key = (staff, day, shift)
        if key not in self._on_shift:
            items = self.vars_on(staff, day, shift)
            self._on_shift[key] = self._or(
                items, f"on_shift[nurse={staff},day={day},shift={shift}]", staff in self.exclusive_days
            )
        return self._on_shift[key]

    def weekend_worked(self, staff: str, weekend: Sequence[date]) -> cp_model.IntVar:
        """A literal that is true when ``staff`` works any day of ``weekend``."""
        key = (staff, self.problem.horizon.index(weekend[0]), "weekend")
        if key not in self._on_shift:
            items = [self.works(staff, self.problem.horizon.index(day)) for day in weekend]
            self._on_shift[key] = self._or(items, f"weekend[nurse={staff},day={key[1]}]", False)
        return self._on_shift[key]

    def _or(self, items: Sequence[cp_model.IntVar], name: str, exclusive: bool) -> cp_model.IntVar:
        if len(items) == 1:
            return items[0]
        result = self.model.new_bool_var(name)
        if not items:
            self.model.add(result == 0)
        elif exclusive:
            # at most one of ``items`` can be true (one shift a day is hard), so the sum is exact
            self.model.add(result == sum(items))
        else:
            self.model.add_max_equality(result, items)
        return result

    # -- hard constraints ---------------------------------------------------------------------

    def hard(
        self,
        rule: Rule | None,
        constraint: cp_model.Constraint,
        staff: str | None = None,
        day: int | None = None,
        line: ShiftCover | None = None,
    ) -> None:
        """Mark ``constraint`` as part of hard ``rule``'s instance for ``staff`` (``day`` for a
        day off, ``line`` for a cover line; ``rule=None``: the frozen ``day``). A guarded model
        enforces it only under that instance's literal; otherwise it always holds."""
        if not self.guarded:
            return
        constraint.only_enforce_if(self.guard(rule, staff, day, line))

    def guard(
        self, rule: Rule | None, staff: str | None = None, day: int | None = None, line: ShiftCover | None = None
    ) -> cp_model.IntVar:
        """The enforcement literal of a hard rule instance (see ``Guard``), made on first use."""
        family = "frozen_days" if rule is None else rule.family
        on = self.days[day] if day is not None and family in ("days_off", "frozen_days") else None
        key: tuple[object, ...]
        if line is not None and rule is not None:
            key = (rule.id, line)
        elif on is not None:
            key = (family, staff, on)
        else:
            key = (rule.id if rule is not None else family, staff)
        found = self.guards.get(key)
        if found is None:
            when = on if on is not None else (line.day if line is not None else None)
            literal = self.model.new_bool_var(f"enforce[{key[0]},{staff},{when}]")
            found = self.guards[key] = Guard(literal, family, [], staff, when, line)
        if rule is not None and all(bound is not rule for bound, _ in found.rules):
            found.rules.append((rule, self._positions.get(id(rule), len(self.problem.rules))))
        return found.literal

    # -- penalties ---------------------------------------------------------------------------

    def penalise(
        self,
        rule: Rule,
        amount: LinearExpr,
        factor: int = 1,
        staff: str | None = None,
        day: int | None = None,
        label: str = "",
    ) -> None:
        """Charge ``rule.weight × factor`` per unit of ``amount`` (soft rules only)."""
        coefficient = rule.weight * factor
        if coefficient == 0:
            return
        self.penalties.append(
            Penalty(
                rule.id,
                rule.family,
                coefficient,
                amount,
                staff,
                self.days[day] if day is not None else None,
                label,
            )
        )

    def bound(
        self,
        rule: Rule,
        expr: LinearExpr,
        minimum: int | None,
        maximum: int | None,
        upper: int,
        staff: str | None = None,
        day: int | None = None,
        label: str = "",
        factor_under: int = 1,
        factor_over: int = 1,
        line: ShiftCover | None = None,
    ) -> None:
        """``minimum <= expr <= maximum``: constraints for a hard rule (of the instance for
        ``staff``, or for ``line``), shortfall and excess variables (``0..upper``) charged to
        the rule for a soft one."""
        if rule.hard:
            if minimum is not None:
                self.hard(rule, self.model.add(expr >= minimum), staff, day, line)
            if maximum is not None:
                self.hard(rule, self.model.add(expr <= maximum), staff, day, line)
            return
        if minimum is not None and minimum > 0:
            under = self.model.new_int_var(0, max(upper, minimum), f"under[{rule.id},{label}]")
            self.model.add(under >= minimum - expr)
            self.penalise(rule, under, factor_under, staff, day, label)
        if maximum is not None:
            over = self.model.new_int_var(0, max(upper, 0), f"over[{rule.id},{label}]")
            self.model.add(over >= expr - maximum)
            self.penalise(rule, over, factor_over, staff, day, label)

    def forbid(self, rule: Rule, pattern: Iterable[Literal], amount: int, staff: str, day: int, label: str) -> None:
        """The conjunction of ``pattern`` is a breach of ``amount`` units: forbidden when the
        rule is hard, charged through an indicator literal when it is soft."""
        literals = list(pattern)
        if amount <= 0:
            return
        negated = [literal.Not() for literal in literals]
        if rule.hard:
            self.hard(rule, self.model.add_bool_or(negated), staff, day)
            return
        indicator = self.model.new_bool_var(f"breach[{rule.id},{label}]")
        self.model.add_bool_or([*negated, indicator])
        self.penalise(rule, indicator, amount, staff, day, label)

    def objective_expr(self) -> LinearExpr:
        return sum(p.coefficient * p.amount for p in self.penalties)
