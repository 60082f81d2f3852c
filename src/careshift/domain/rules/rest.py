"""Rest between shifts: forbidden successions, minimum rest hours, recovery after nights."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules.base import Finding, Rule, RuleSpec
from careshift.domain.timeline import PlacedShift, placed_by_staff

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext
    from careshift.domain.workforce import ShiftType


def _minutes_between(earlier: datetime, later: datetime) -> int:
    """Real minutes from ``earlier`` to ``later`` (UTC arithmetic, so DST counts); 0 if negative."""
    return max(0, int((later.astimezone(UTC) - earlier.astimezone(UTC)).total_seconds() // 60))


@dataclass(frozen=True)
class ForbiddenSuccessions(RuleSpec):
    """Shift ``b`` may not be worked the day after shift ``a`` (INRC-II H3, Curtois hard 2).

    The forbidden pairs are each shift type's ``forbidden_next`` plus ``extra_pairs``.
    With history, the last shift before the horizon counts against day one.
    Amount: 1 per forbidden pair worked. Usually hard.
    """

    family: ClassVar[str] = "forbidden_successions"
    title: ClassVar[str] = "Forbidden shift succession"
    extra_pairs: frozenset[tuple[str, str]] = frozenset()

    def pairs(self, shift_types: Iterable[ShiftType]) -> frozenset[tuple[str, str]]:
        """Every forbidden (first, second) pair: the shift types' ``forbidden_next`` and ``extra_pairs``."""
        found = set(self.extra_pairs)
        for shift in shift_types:
            found.update((shift.id, following) for following in shift.forbidden_next)
        return frozenset(found)

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        pairs = self.pairs(ctx.problem.shift_types)
        if not pairs:
            return
        first_day = ctx.problem.horizon.start
        one_day = timedelta(days=1)
        for member in ctx.staff_in_scope(rule):
            worked = ctx.by_staff_day.get(member.id, {})
            history = ctx.problem.history_of(member.id)
            for day, items in worked.items():
                if not rule.in_effect(day):
                    continue
                if day == first_day:
                    last = history.last_shift if history is not None else None
                    previous: tuple[str, ...] = (last,) if last else ()
                else:
                    previous = tuple(item.shift for item in worked.get(day - one_day, ()))
                for before in previous:
                    for item in items:
                        if (before, item.shift) in pairs:
                            yield Finding(
                                amount=1,
                                staff=member.id,
                                day=day,
                                detail=f"{item.shift} the day after {before}",
                            )


@dataclass(frozen=True)
class MinRestBetweenShifts(RuleSpec):
    """At least ``hours`` between the end of one shift and the start of the next
    (10 h in many contracts, 11 h under the EU Working Time Directive).

    Uses real clock times (DST-aware); shift types without clock times are skipped.
    Consecutive means consecutive in time among the staff's shifts with clock times; with
    history, ``last_shift_end`` is the end of the shift before the first one. Shifts that
    overlap have zero rest, so a pair is never charged more than ``hours × 60``.
    Amount: minutes of rest missing, per pair of consecutive shifts (dated by the later
    shift). The rule applies on the days it is in effect (the later shift's day).
    """

    family: ClassVar[str] = "min_rest_between_shifts"
    title: ClassVar[str] = "Minimum rest between shifts"
    hours: float = 10.0

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        needed = round(self.hours * 60)
        by_staff = placed_by_staff(ctx)
        for member in ctx.staff_in_scope(rule):
            shifts = by_staff.get(member.id, ())
            history = ctx.problem.history_of(member.id)
            previous_end = history.last_shift_end if history is not None else None
            previous_label = "the last shift before the horizon"
            for item in shifts:
                if previous_end is not None and rule.in_effect(item.assignment.day):
                    rest = _minutes_between(previous_end, item.interval.start)
                    if rest < needed:
                        yield Finding(
                            amount=needed - rest,
                            staff=member.id,
                            day=item.assignment.day,
                            at=item.interval.start,
                            detail=(
                                f"{member.id} has {rest / 60:g} h rest between {previous_label} and "
                                f"{item.assignment.shift} on {item.assignment.day.isoformat()} "
                                f"(needs {self.hours:g} h)"
                            ),
                        )
                if previous_end is None or item.interval.end.astimezone(UTC) > previous_end.astimezone(UTC):
                    previous_end = item.interval.end
                    previous_label = f"{item.assignment.shift} on {item.assignment.day.isoformat()}"


@dataclass(frozen=True)
class RestAfterNightBlock(RuleSpec):
    """After a block of night shifts, at least ``hours`` off before the next shift
    (48 h in many union contracts). Nights are shift types tagged ``night``.

    Amount: minutes of rest missing after the block (clock times), or, when shift types
    carry no clock times, 1 per day off missing from the ``ceil(hours / 24)`` whole days.

    A block is a run of night shifts on consecutive calendar days, at least
    ``min_nights`` long (1: a single night is a block). Its rest runs from the end of its
    last night to the start of the staff's next shift of any kind; a block still open at
    the end of the horizon is not charged. With history, a night as ``last_shift`` (and
    its ``last_shift_end``) ends a block before day one unless day one is a night.
    One finding per block, dated by the next shift. Usually hard.
    """

    family: ClassVar[str] = "rest_after_night_block"
    title: ClassVar[str] = "Rest after a block of nights"
    hours: float = 48.0
    min_nights: int = 1

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        for member in ctx.staff_in_scope(rule):
            for block in self._blocks(ctx, member.id):
                if block.nights < self.min_nights:
                    continue
                later = [day for day in ctx.by_staff_day.get(member.id, {}) if day > block.last]
                if not later or not rule.in_effect(min(later)):
                    continue
                finding = self._rest_after(ctx, member.id, block, min(later))
                if finding is not None:
                    yield finding

    def _blocks(self, ctx: CheckContext, staff: str) -> list[_NightBlock]:
        """The staff's night blocks in time order, the history's open block first."""
        worked = ctx.by_staff_day.get(staff, {})
        nights = sorted(
            day
            for day, items in worked.items()
            if any(a.shift in ctx.shifts and ctx.shifts[a.shift].is_night for a in items)
        )
        blocks: list[_NightBlock] = []
        history = ctx.problem.history_of(staff)
        if history is not None and history.last_shift in ctx.shifts and ctx.shifts[history.last_shift].is_night:
            before = ctx.problem.horizon.start - timedelta(days=1)
            blocks.append(_NightBlock(before, max(1, history.consecutive_same_shift), from_history=True))
        for day in nights:
            if blocks and blocks[-1].last == day - timedelta(days=1):
                blocks[-1] = _NightBlock(day, blocks[-1].nights + 1)
            else:
                blocks.append(_NightBlock(day, 1))
        return blocks

    def _rest_after(self, ctx: CheckContext, staff: str, block: _NightBlock, next_day: date) -> Finding | None:
        placed = placed_by_staff(ctx).get(staff, ())
        end: datetime | None
        if block.from_history:
            history = ctx.problem.history_of(staff)
            end = history.last_shift_end if history is not None else None
        else:
            nights = [p for p in placed if p.assignment.day == block.last and ctx.shifts[p.assignment.shift].is_night]
            end = nights[-1].interval.end if nights else None
        following: PlacedShift | None = next((p for p in placed if p.assignment.day == next_day), None)
        what = f"{block.nights} night{'s' if block.nights != 1 else ''} ending {block.last.isoformat()}"
        if end is not None and following is not None:
            needed = round(self.hours * 60)
            rest = _minutes_between(end, following.interval.start)
            if rest >= needed:
                return None
            return Finding(
                amount=needed - rest,
                staff=staff,
                day=next_day,
                at=following.interval.start,
                detail=f"{staff} has {rest / 60:g} h off after {what} (needs {self.hours:g} h)",
            )
        needed_days = math.ceil(self.hours / 24)
        off = (next_day - block.last).days - 1
        if off >= needed_days:
            return None
        return Finding(
            amount=needed_days - off,
            staff=staff,
            day=next_day,
            detail=f"{staff} has {off} day(s) off after {what} (needs {needed_days})",
        )


@dataclass(frozen=True)
class _NightBlock:
    """A run of nights ending on ``last``; ``from_history`` when it ended before day one."""

    last: date
    nights: int
    from_history: bool = False
