"""Assignments placed in real time: each shift's interval on its unit's clock, who is on
duty per unit and 15-minute interval, and the staggered break model.

Interval rules (rest, rolling hours, interval cover, ratios) share these helpers so that
they agree on where a shift lies in time. Keys are UTC instants: a local wall-clock time
can occur twice on the fall-back night, a UTC instant cannot.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from careshift.domain.schedule import Assignment
from careshift.domain.time import GRID, GRID_MINUTES, Interval, zone
from careshift.domain.workforce import ShiftType, Staff

if TYPE_CHECKING:  # rules and problem import this module's users; avoid the cycle
    from careshift.domain.checker import CheckContext
    from careshift.domain.problem import RosterProblem
    from careshift.domain.rules.base import Scope

UnitSlot = tuple[str, datetime]
"""(unit id, UTC start of a 15-minute interval)."""


@dataclass(frozen=True)
class PlacedShift:
    """An assignment placed in time: ``interval`` is its real span on ``unit``'s clock."""

    interval: Interval
    assignment: Assignment
    unit: str | None


def assignment_unit(problem: RosterProblem, assignment: Assignment) -> str | None:
    """The unit an assignment is worked on: its own ``unit``, else the staff's home unit."""
    if assignment.unit is not None:
        return assignment.unit
    for member in problem.staff:
        if member.id == assignment.staff:
            return member.home_unit
    return None


def unit_timezone(problem: RosterProblem, unit_id: str | None) -> str:
    """The IANA timezone of ``unit_id``; the horizon's when the unit is unknown or unset."""
    if unit_id is not None:
        for unit in problem.units:
            if unit.id == unit_id:
                return unit.timezone
    return problem.horizon.timezone


def place(problem: RosterProblem, assignment: Assignment, shift: ShiftType) -> PlacedShift | None:
    """``assignment`` in real time, or ``None`` when its shift type has no clock times."""
    if shift.start is None:
        return None
    unit = assignment_unit(problem, assignment)
    return PlacedShift(shift.interval_on(assignment.day, unit_timezone(problem, unit)), assignment, unit)


def placed_shifts(problem: RosterProblem, assignments: Iterable[Assignment]) -> tuple[PlacedShift, ...]:
    """Every assignment whose shift type has clock times, placed in time and sorted by
    start instant (then by assignment, so the order never depends on the input order)."""
    shifts = {shift.id: shift for shift in problem.shift_types}
    placed = []
    for assignment in assignments:
        shift = shifts.get(assignment.shift)
        if shift is None:
            continue
        item = place(problem, assignment, shift)
        if item is not None:
            placed.append(item)
    return tuple(sorted(placed, key=lambda item: (item.interval.start.astimezone(UTC), item.assignment.sort_key())))


def placed_by_staff(ctx: CheckContext) -> dict[str, tuple[PlacedShift, ...]]:
    """Placed shifts inside the horizon per staff, in time order (cached on the context)."""
    cached = ctx._cache.get("timeline.placed_by_staff")
    if cached is None:
        grouped: dict[str, list[PlacedShift]] = {}
        inside = (a for a in ctx.schedule if a.day in ctx.problem.horizon)
        for item in placed_shifts(ctx.problem, inside):
            grouped.setdefault(item.assignment.staff, []).append(item)
        cached = {staff: tuple(items) for staff, items in grouped.items()}
        ctx._cache["timeline.placed_by_staff"] = cached
    return cast("dict[str, tuple[PlacedShift, ...]]", cached)


def placed_in_horizon(ctx: CheckContext) -> tuple[PlacedShift, ...]:
    """Every placed shift inside the horizon, in time order (cached on the context)."""
    cached = ctx._cache.get("timeline.placed")
    if cached is None:
        cached = placed_shifts(ctx.problem, (a for a in ctx.schedule if a.day in ctx.problem.horizon))
        ctx._cache["timeline.placed"] = cached
    return cast("tuple[PlacedShift, ...]", cached)


def full_grid(interval: Interval) -> tuple[datetime, ...]:
    """UTC starts of the 15-minute intervals lying wholly inside ``interval``.

    A shift that starts or ends off the grid does not count for the partial interval:
    a nurse who arrives at 07:10 is not on duty for all of 07:00–07:15.
    """
    start = interval.start.astimezone(UTC)
    end = interval.end.astimezone(UTC)
    offset = (start.minute % GRID_MINUTES) * 60 + start.second + start.microsecond / 1e6
    cursor = start if offset == 0 else start + timedelta(seconds=GRID_MINUTES * 60 - offset)
    cursor = cursor.replace(second=0, microsecond=0)
    slots = []
    while cursor + GRID <= end:
        slots.append(cursor)
        cursor += GRID
    return tuple(slots)


@dataclass(frozen=True)
class BreakPlan:
    """Staggered breaks: the break model used by ratio and interval-cover rules (ADR 0005).

    Every shift of at least ``after_hours`` takes one break of ``minutes`` (rounded up to
    the 15-minute grid) inside a window of ``window_hours`` centred on the shift's middle
    (clipped to the shift). The staff of one *cohort* — those counted by a rule who work
    the same real interval on the same unit — go one after another: the window is cut
    into ``B`` break blocks and member ``k`` takes block ``k mod B``. At any interval
    of the window the number on break is therefore ``n // B`` plus one for the first
    ``n mod B`` blocks, where ``n`` is the cohort's size. It depends only on ``n``, so
    it is the same whatever the order of the assignments, and never exceeds ``n``.
    Nobody covers for a nurse on break (no "buddy break"): they simply do not count.
    """

    minutes: int = 30
    after_hours: float = 6.0
    window_hours: float = 4.0

    @property
    def slots_per_break(self) -> int:
        return max(1, math.ceil(self.minutes / GRID_MINUTES))

    def window(self, interval: Interval) -> tuple[datetime, ...]:
        """UTC starts of the window's 15-minute intervals (empty: no break on this shift)."""
        if self.minutes <= 0 or interval.minutes < self.after_hours * 60:
            return ()
        slots = full_grid(interval)
        want = max(self.slots_per_break, round(self.window_hours * 60 / GRID_MINUTES))
        # Whole break blocks only, never more than the shift itself.
        size = min(len(slots), want) // self.slots_per_break * self.slots_per_break
        if size == 0:
            return ()
        first = (len(slots) - size) // 2
        return slots[first : first + size]

    def on_break(self, interval: Interval, cohort: int) -> dict[datetime, int]:
        """How many of a cohort of ``cohort`` people are on break, per UTC interval start."""
        window = self.window(interval)
        if cohort <= 0 or not window:
            return {}
        blocks = len(window) // self.slots_per_break
        base, extra = divmod(cohort, blocks)
        out: dict[datetime, int] = {}
        for position, slot in enumerate(window):
            count = base + (1 if position // self.slots_per_break < extra else 0)
            if count:
                out[slot] = count
        return out


def on_duty(
    placed: Iterable[PlacedShift],
    counts: Callable[[PlacedShift], bool],
    breaks: BreakPlan | None = None,
) -> Counter[UnitSlot]:
    """Staff on duty per (unit, UTC 15-minute start), among placed shifts for which
    ``counts`` is true, less those on break under ``breaks`` (``None``: nobody leaves).

    A shift counts for an interval only when it covers all 15 minutes. Shifts with no
    unit are left out: they cannot be on a unit's floor.
    """
    cohorts: Counter[tuple[str, Interval]] = Counter()
    for item in placed:
        if item.unit is not None and counts(item):
            cohorts[(item.unit, item.interval)] += 1
    staffed: Counter[UnitSlot] = Counter()
    for (unit, interval), size in cohorts.items():
        for slot in full_grid(interval):
            staffed[(unit, slot)] += size
        if breaks is not None:
            for slot, away in breaks.on_break(interval, size).items():
                staffed[(unit, slot)] -= away
    return staffed


def covers_staff(scope: Scope, member: Staff) -> bool:
    """``scope`` binds ``member`` by staff, role and contract (its units are checked
    against the unit worked on, not the home unit, by unit-level rules)."""
    return replace(scope, units=frozenset()).covers(member)


def local_day(instant: datetime, timezone: str) -> date:
    """The calendar day of ``instant`` on ``timezone``'s clock."""
    return instant.astimezone(zone(timezone)).date()
