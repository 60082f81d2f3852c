"""How much each person works: counts per shift type, total assignments, minutes,
and minutes in rolling windows (24 h / 7 d / 14 d caps such as Oregon's 12 h in 24 h)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.workforce import worked_minutes

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


def _outside(value: int, minimum: int | None, maximum: int | None) -> tuple[int, str]:
    """How far ``value`` lies outside ``[minimum, maximum]`` and which side (0 when inside)."""
    if minimum is not None and value < minimum:
        return minimum - value, f"below the minimum {minimum}"
    if maximum is not None and value > maximum:
        return value - maximum, f"above the maximum {maximum}"
    return 0, ""


def _last_day(ctx: CheckContext) -> date:
    return ctx.days[-1]


def _always(rule: Rule) -> bool:
    return rule.effective_from is None and rule.effective_to is None


def _shift_counts(ctx: CheckContext) -> dict[str, Counter[str]]:
    """Assignments per staff and shift type over the horizon, shared through the context
    cache: Curtois instances carry one count rule per staff and shift type."""
    cached = ctx._cache.get("workload.shift_counts")
    if isinstance(cached, dict):
        return cached
    counts: dict[str, Counter[str]] = {
        staff: Counter(item.shift for items in days.values() for item in items)
        for staff, days in ctx.by_staff_day.items()
    }
    ctx._cache["workload.shift_counts"] = counts
    return counts


@dataclass(frozen=True)
class ShiftTypeCount(RuleSpec):
    """Assignments of ``shift`` over the horizon between ``minimum`` and ``maximum``
    (Curtois MaxShifts). Amount: assignments outside the range, per staff."""

    family: ClassVar[str] = "shift_type_count"
    title: ClassVar[str] = "Shifts of one type"
    shift: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        if self.minimum is None and self.maximum is None:
            return
        counts = _shift_counts(ctx) if _always(rule) else None
        for member in ctx.staff_in_scope(rule):
            if counts is not None:
                count = counts.get(member.id, Counter())[self.shift]
            else:
                count = sum(
                    1
                    for day, items in ctx.by_staff_day.get(member.id, {}).items()
                    if rule.in_effect(day)
                    for item in items
                    if item.shift == self.shift
                )
            amount, side = _outside(count, self.minimum, self.maximum)
            if amount:
                yield Finding(
                    amount=amount, staff=member.id, day=_last_day(ctx), detail=f"{count} {self.shift} shifts, {side}"
                )


@dataclass(frozen=True)
class AssignmentCount(RuleSpec):
    """Total assignments over the horizon (plus history's total) between ``minimum`` and
    ``maximum`` (INRC-II S6). Amount: assignments outside the range, per staff."""

    family: ClassVar[str] = "assignment_count"
    title: ClassVar[str] = "Total assignments"
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        if self.minimum is None and self.maximum is None:
            return
        for member in ctx.staff_in_scope(rule):
            history = ctx.problem.history_of(member.id)
            count = history.total_assignments if history is not None else 0
            count += sum(
                len(items) for day, items in ctx.by_staff_day.get(member.id, {}).items() if rule.in_effect(day)
            )
            amount, side = _outside(count, self.minimum, self.maximum)
            if amount:
                yield Finding(amount=amount, staff=member.id, day=_last_day(ctx), detail=f"{count} assignments, {side}")


@dataclass(frozen=True)
class WorkedMinutes(RuleSpec):
    """Minutes worked over the horizon between ``minimum`` and ``maximum`` (Curtois 4).
    Amount: minutes outside the range, per staff."""

    family: ClassVar[str] = "worked_minutes"
    title: ClassVar[str] = "Worked minutes over the horizon"
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        if self.minimum is None and self.maximum is None:
            return
        timezones = {unit.id: unit.timezone for unit in ctx.problem.units}
        default_zone = ctx.problem.horizon.timezone
        # Shifts with clock times are measured on the unit's clock (DST makes a night 11 or
        # 13 h); the same (shift, day, zone) recurs for many staff, so compute it once.
        lengths: dict[tuple[str, date, str], int] = {}
        for member in ctx.staff_in_scope(rule):
            total = 0
            for day, items in ctx.by_staff_day.get(member.id, {}).items():
                if not rule.in_effect(day):
                    continue
                for item in items:
                    tz = timezones.get(item.unit, default_zone) if item.unit else default_zone
                    key = (item.shift, day, tz)
                    if key not in lengths:
                        shift = ctx.shifts.get(item.shift) or ctx.problem.shift_type(item.shift)
                        lengths[key] = worked_minutes(shift, day, tz)
                    total += lengths[key]
            amount, side = _outside(total, self.minimum, self.maximum)
            if amount:
                yield Finding(amount=amount, staff=member.id, day=_last_day(ctx), detail=f"{total} minutes, {side}")


@dataclass(frozen=True)
class RollingWorkedMinutes(RuleSpec):
    """At most ``maximum`` minutes worked in any window of ``window_hours`` (24, 168, 336).

    Windows slide on the 15-minute grid over real shift intervals (clock times needed);
    for shift types without clock times, windows of ``window_hours / 24`` days over
    nominal minutes. Amount: minutes over the cap in the worst window, per staff and
    window start day (one finding per day on which a breaching window starts).
    """

    family: ClassVar[str] = "rolling_worked_minutes"
    title: ClassVar[str] = "Worked minutes in a rolling window"
    window_hours: int = 168
    maximum: int = 48 * 60
