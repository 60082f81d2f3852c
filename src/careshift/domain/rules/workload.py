"""How much each person works: counts per shift type, total assignments, minutes,
and minutes in rolling windows (24 h / 7 d / 14 d caps such as Oregon's 12 h in 24 h).

Horizon totals count only the days on which the rule is in effect, and are reported on
the horizon's last day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules._days import always_in_effect, last_day, outside, shift_counts
from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.time import GRID_MINUTES, local_instant, zone
from careshift.domain.timeline import placed_by_staff
from careshift.domain.workforce import worked_minutes

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext


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
        counts = shift_counts(ctx) if always_in_effect(rule) else None
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
            amount, side = outside(count, self.minimum, self.maximum)
            if amount:
                yield Finding(
                    amount=amount, staff=member.id, day=last_day(ctx), detail=f"{count} {self.shift} shifts, {side}"
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
            amount, side = outside(count, self.minimum, self.maximum)
            if amount:
                yield Finding(amount=amount, staff=member.id, day=last_day(ctx), detail=f"{count} assignments, {side}")


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
            amount, side = outside(total, self.minimum, self.maximum)
            if amount:
                yield Finding(amount=amount, staff=member.id, day=last_day(ctx), detail=f"{total} minutes, {side}")


@dataclass(frozen=True)
class RollingWorkedMinutes(RuleSpec):
    """At most ``maximum`` minutes worked in any window of ``window_hours`` (24, 168, 336).

    Windows slide on the 15-minute grid over real shift intervals (clock times needed);
    for shift types without clock times, windows of ``window_hours / 24`` days over
    nominal minutes. Amount: minutes over the cap in the worst window, per staff and
    window start day (one finding per day on which a breaching window starts).

    Details. Window starts are the grid instants of the horizon's days on the horizon's
    clock (a 7 d window starting on the last day reaches past the horizon; only shifts
    starting inside the horizon count). Worked minutes are the real overlap of each
    shift's interval with the window, so a 13 h fall-back night counts 13 h. A staff
    member with any shift type lacking clock times is checked with day windows over
    ``worked_minutes`` instead. The rule applies on the window start days it is in effect.
    Usually hard (a legal cap) or soft with a weight per minute over.
    """

    family: ClassVar[str] = "rolling_worked_minutes"
    title: ClassVar[str] = "Worked minutes in a rolling window"
    window_hours: int = 168
    maximum: int = 48 * 60

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        placed = placed_by_staff(ctx)
        for member in ctx.staff_in_scope(rule):
            worked = ctx.by_staff_day.get(member.id, {})
            assignments = [a for items in worked.values() for a in items]
            timed = all(a.shift in ctx.shifts and ctx.shifts[a.shift].start is not None for a in assignments)
            if timed:
                worst = self._worst_real_windows(
                    ctx, [(p.interval.start, p.interval.end) for p in placed.get(member.id, ())]
                )
            else:
                worst = self._worst_day_windows(ctx, member.id)
            for day, (minutes, start) in sorted(worst.items()):
                if minutes > self.maximum and rule.in_effect(day):
                    yield Finding(
                        amount=minutes - self.maximum,
                        staff=member.id,
                        day=day,
                        at=start,
                        detail=(
                            f"{member.id} works {minutes / 60:g} h in the {self.window_hours} h from "
                            f"{start.isoformat() if start else day.isoformat()} (cap {self.maximum / 60:g} h)"
                        ),
                    )

    def _worst_real_windows(
        self, ctx: CheckContext, spans: list[tuple[datetime, datetime]]
    ) -> dict[date, tuple[int, datetime | None]]:
        """Per horizon day, the most minutes worked in any window starting that day.

        Works on UTC POSIX seconds: the hot loop of the checker on a month of a hospital.
        """
        if not spans:
            return {}
        width = self.window_hours * 3600
        grid = GRID_MINUTES * 60
        shifts = [(int(start.timestamp()), int(end.timestamp())) for start, end in spans]
        # Worked minutes as a function of the window start is piecewise linear with kinks
        # where a window edge meets a shift edge: its maximum over a day lies on a kink or
        # on the day's first or last grid instant.
        kinks = sorted({edge - shift for start, end in shifts for edge in (start, end) for shift in (0, width)})
        tz = zone(ctx.problem.horizon.timezone)
        worst: dict[date, tuple[int, datetime | None]] = {}
        for day, first, after in _day_bounds(ctx):
            candidates = {first, after - grid}
            for kink in kinks:
                if first <= kink < after:
                    floored = kink - kink % grid
                    candidates.add(floored)
                    if floored + grid < after:
                        candidates.add(floored + grid)
            best, best_start = -1, first
            for start in sorted(candidates):
                end = start + width
                seconds = sum(min(end, b) - max(start, a) for a, b in shifts if a < end and start < b)
                if seconds // 60 > best:
                    best, best_start = seconds // 60, start
            worst[day] = (best, datetime.fromtimestamp(best_start, UTC).astimezone(tz))
        return worst

    def _worst_day_windows(self, ctx: CheckContext, staff: str) -> dict[date, tuple[int, datetime | None]]:
        """Per horizon day, minutes worked in the ``window_hours / 24`` days from it."""
        span = max(1, self.window_hours // 24)
        worked = ctx.by_staff_day.get(staff, {})
        timezone = ctx.problem.horizon.timezone
        per_day = {
            day: sum(worked_minutes(ctx.shifts[a.shift], day, timezone) for a in items if a.shift in ctx.shifts)
            for day, items in worked.items()
        }
        return {
            day: (sum(per_day.get(day + timedelta(days=k), 0) for k in range(span)), None)
            for day in ctx.problem.horizon.days
        }


def _day_bounds(ctx: CheckContext) -> list[tuple[date, int, int]]:
    """(day, first second, first second of the next day) in UTC POSIX seconds for each
    horizon day on the horizon's clock (a DST day is 23 or 25 h long); cached."""
    cached = ctx._cache.get("workload.day_bounds")
    if isinstance(cached, list):
        return cached
    tz = zone(ctx.problem.horizon.timezone)
    midnight = datetime.min.time()
    bounds = [
        (
            day,
            int(local_instant(day, midnight, tz).timestamp()),
            int(local_instant(day + timedelta(days=1), midnight, tz).timestamp()),
        )
        for day in ctx.problem.horizon.days
    ]
    ctx._cache["workload.day_bounds"] = bounds
    return bounds
