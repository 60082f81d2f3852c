"""Cover and nurse-to-patient ratios per 15-minute interval, holding during breaks."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.errors import DomainError
from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.timeline import BreakPlan, PlacedShift, covers_staff, local_day, on_duty, placed_in_horizon

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext
    from careshift.domain.demand import IntervalCover

LEVELS = ("floor", "target")


@dataclass(frozen=True)
class IntervalCoverRule(RuleSpec):
    """Staff on duty per 15-minute interval against ``problem.interval_cover``.

    ``level`` is ``"floor"`` (hard: people below floor) or ``"target"`` (soft: below
    target × ``weight_under``, above cap × ``weight_over``). On-duty staff are those whose
    shift interval overlaps the whole 15 minutes, less those on break when
    ``break_relief`` is False (see ``NurseToPatientRatio``).

    Details. A line counts the staff on its unit (the assignment's unit, else the home
    unit) who have the line's ``role`` (any role when None) and whose assignment covers
    its ``skill`` (an assignment with no skill counts when the staff has the skill; any
    staff when the line's skill is None), restricted to the rule's scope (units: the
    line's unit). With ``break_relief`` True (default) someone relieves each break, so
    nobody leaves the count; with False, the cohorts counted by a line take staggered
    breaks under ``break_minutes``/``break_after_hours``/``break_window_hours`` (ADR
    0005) and those on break do not count. Amount: people, per line and interval.
    """

    family: ClassVar[str] = "interval_cover"
    title: ClassVar[str] = "Cover per 15 minutes"
    level: str = "floor"
    break_relief: bool = True
    break_minutes: int = 30
    break_after_hours: float = 6.0
    break_window_hours: float = 4.0

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise DomainError(f"interval_cover level {self.level!r} is not one of {', '.join(LEVELS)}")

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        placed = placed_in_horizon(ctx)
        bound = frozenset(member.id for member in ctx.problem.staff if covers_staff(rule.scope, member))
        breaks = (
            None
            if self.break_relief
            else BreakPlan(self.break_minutes, self.break_after_hours, self.break_window_hours)
        )
        zones = {unit.id: unit.timezone for unit in ctx.problem.units}
        lines: dict[tuple[str | None, str | None], list[IntervalCover]] = {}
        for line in ctx.problem.interval_cover:
            if rule.scope.covers_unit(line.unit):
                lines.setdefault((line.skill, line.role), []).append(line)
        for (skill, role), group in sorted(lines.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")):
            staffed = on_duty(placed, partial(self._counts, ctx, bound, skill=skill, role=role), breaks)
            for line in group:  # the problem's order: findings never depend on the schedule's
                present = staffed.get((line.unit, line.start.astimezone(UTC)), 0)
                if self._satisfied(line, present):
                    continue  # the common case: no day or text to build
                day = local_day(line.start, zones.get(line.unit, ctx.problem.horizon.timezone))
                if rule.in_effect(day):
                    yield from self._judge(line, present, day)

    def _counts(
        self, ctx: CheckContext, bound: frozenset[str], item: PlacedShift, *, skill: str | None, role: str | None
    ) -> bool:
        member = ctx.staff.get(item.assignment.staff)
        if member is None or member.id not in bound:
            return False
        if role is not None and role not in member.roles:
            return False
        if skill is None:
            return True
        return item.assignment.skill == skill or (item.assignment.skill is None and skill in member.skills)

    def _satisfied(self, line: IntervalCover, present: int) -> bool:
        if self.level == "floor":
            return present >= line.floor
        return line.target <= present and (line.cap is None or present <= line.cap)

    def _judge(self, line: IntervalCover, present: int, day: date) -> Iterator[Finding]:
        what = f"{line.role or 'staff'}{' with ' + line.skill if line.skill else ''} on {line.unit}"
        when = line.start.strftime("%Y-%m-%d %H:%M %Z")
        if self.level == "floor":
            if present < line.floor:
                yield Finding(
                    amount=line.floor - present,
                    day=day,
                    at=line.start,
                    detail=f"{present} {what} at {when}, floor {line.floor}",
                )
            return
        if present < line.target:
            yield Finding(
                amount=line.target - present,
                day=day,
                at=line.start,
                factor=line.weight_under,
                detail=f"{present} {what} at {when}, target {line.target}",
            )
        if line.cap is not None and present > line.cap:
            yield Finding(
                amount=present - line.cap,
                day=day,
                at=line.start,
                factor=line.weight_over,
                detail=f"{present} {what} at {when}, cap {line.cap}",
            )


@dataclass(frozen=True)
class NurseToPatientRatio(RuleSpec):
    """At every 15-minute interval, nurses counted on the unit ≥ ceil(census / ratio)
    plus the census's acuity extra (California Title 22 §70217, Oregon HB 2697).

    ``patients_per_nurse`` maps unit type (``icu``, ``med_surg``, …) to the ratio's
    patient count; units of types not listed are not bound. ``roles`` are the roles
    that count (licensed nurses by default). Breaks: every shift of at least
    ``break_after_hours`` takes ``break_minutes`` inside its middle; the ratio must hold
    *during* breaks, so a nurse on break does not count (no "buddy break").
    Amount: nurses missing, per unit and interval. Hard.

    Details (ADR 0005). The census comes from ``problem.census`` (an interval with no
    census record binds nothing); unit types from ``problem.units``. A nurse counts on
    the unit of the assignment (else the home unit) for each 15-minute interval the shift
    covers whole, if they hold a counted role and the rule's scope binds them (scope
    units restrict the *units* checked). The nurses of one cohort (same unit, same real
    shift interval) take staggered breaks inside a ``break_window_hours`` window centred
    on the shift's middle, one break block after another, so during that window the unit
    needs a break-relief nurse above the bare ratio. Assignments covering one of
    ``uncounted_skills`` (e.g. ``triage``: Title 22's ED triage nurse comes *on top of*
    1:4) do not count.
    """

    family: ClassVar[str] = "nurse_to_patient_ratio"
    title: ClassVar[str] = "Nurse-to-patient ratio"
    patients_per_nurse: Mapping[str, int] = field(default_factory=dict)
    roles: frozenset[str] = frozenset({"RN"})
    break_minutes: int = 30
    break_after_hours: float = 6.0
    break_window_hours: float = 4.0
    uncounted_skills: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for unit_type, patients in self.patients_per_nurse.items():
            if patients <= 0:
                raise DomainError(f"nurse_to_patient_ratio: {unit_type} has {patients} patients per nurse; use >= 1")

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        ratios = {}
        for unit in ctx.problem.units:
            patients = self.patients_per_nurse.get(str(unit.unit_type))
            if patients is not None and rule.scope.covers_unit(unit.id):
                ratios[unit.id] = (patients, unit)
        if not ratios:
            return

        bound = frozenset(member.id for member in ctx.problem.staff if covers_staff(rule.scope, member))

        def counts(item: PlacedShift) -> bool:
            member = ctx.staff.get(item.assignment.staff)
            return (
                member is not None
                and item.unit in ratios
                and bool(member.roles & self.roles)
                and item.assignment.skill not in self.uncounted_skills
                and member.id in bound
            )

        breaks = BreakPlan(self.break_minutes, self.break_after_hours, self.break_window_hours)
        staffed = on_duty(placed_in_horizon(ctx), counts, breaks)
        for census in ctx.problem.census:  # the problem's order, whatever the schedule's
            if census.unit not in ratios:
                continue
            patients, unit = ratios[census.unit]
            needed = math.ceil(census.patients / patients) + (census.acuity_extra_staff if census.patients else 0)
            present = staffed.get((census.unit, census.start.astimezone(UTC)), 0)
            if present >= needed:
                continue
            day = local_day(census.start, unit.timezone)
            if rule.in_effect(day):
                yield Finding(
                    amount=needed - present,
                    day=day,
                    at=census.start,
                    detail=(
                        f"{unit.name or unit.id} at {census.start.strftime('%Y-%m-%d %H:%M %Z')}: "
                        f"{present} nurse{'s' if present != 1 else ''} on the floor for {census.patients} patients, "
                        f"1:{patients} needs {needed}"
                    ),
                )
