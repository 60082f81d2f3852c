"""Runs of days: consecutive working days, consecutive same shift, consecutive days off.

Border rules (INRC-II Appendix B; Curtois–Qu): with history, the history's counters
continue into the first days and only the extra violation is charged; a run still open
at the end of the horizon is never charged for being *too short* (but is for too long).
Without history (``problem.history is None``), a run touching the first day is not
charged for being too short either.

Amount: days outside ``[minimum, maximum]``, per run: ``minimum - length`` for a short
run, ``length - maximum`` for a long one. ``None`` disables that side. A run is charged
on its last day (day one for a history run that stops at the border), and only when the
rule is in effect on that day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from careshift.domain.rules._days import run_breaches
from careshift.domain.rules.base import Finding, Rule, RuleSpec

if TYPE_CHECKING:
    from careshift.domain.checker import CheckContext
    from careshift.domain.workforce import StaffHistory


def _runs(
    rule: Rule,
    ctx: CheckContext,
    *,
    minimum: int | None,
    maximum: int | None,
    in_state: Callable[[str, int], bool],
    before: Callable[[StaffHistory], int],
    what: str,
) -> Iterator[Finding]:
    """Findings for runs of days in a state (working, on one shift, off), per staff in scope."""
    if minimum is None and maximum is None:
        return
    days = ctx.days
    history_known = ctx.problem.history is not None
    for member in ctx.staff_in_scope(rule):
        history = ctx.problem.history_of(member.id)
        flags = [in_state(member.id, index) for index in range(len(days))]
        for breach in run_breaches(
            flags,
            before=before(history) if history is not None else 0,
            history_known=history_known,
            minimum=minimum,
            maximum=maximum,
        ):
            day = days[max(breach.end, 0)]
            if not rule.in_effect(day):
                continue
            bound = f"at least {minimum}" if breach.short else f"at most {maximum}"
            where = "ending before the horizon" if breach.end < 0 else f"ending {day.isoformat()}"
            yield Finding(
                amount=breach.amount,
                staff=member.id,
                day=day,
                detail=f"{breach.length} {what} in a row {where}, {bound} allowed",
            )


@dataclass(frozen=True)
class ConsecutiveWorkingDays(RuleSpec):
    """Working-day runs between ``minimum`` and ``maximum`` days (INRC-II S2b, Curtois 5–6)."""

    family: ClassVar[str] = "consecutive_working_days"
    title: ClassVar[str] = "Consecutive working days"
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        days = ctx.days
        return _runs(
            rule,
            ctx,
            minimum=self.minimum,
            maximum=self.maximum,
            in_state=lambda staff, index: ctx.working(staff, days[index]),
            before=lambda history: history.consecutive_work_days,
            what="working days",
        )


@dataclass(frozen=True)
class ConsecutiveSameShift(RuleSpec):
    """Runs of ``shift`` on consecutive days between ``minimum`` and ``maximum`` (INRC-II S2a)."""

    family: ClassVar[str] = "consecutive_same_shift"
    title: ClassVar[str] = "Consecutive same shift"
    shift: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        days = ctx.days
        return _runs(
            rule,
            ctx,
            minimum=self.minimum,
            maximum=self.maximum,
            in_state=lambda staff, index: ctx.shift_on(staff, days[index]) == self.shift,
            before=lambda history: history.consecutive_same_shift if history.last_shift == self.shift else 0,
            what=f"{self.shift} shifts",
        )


@dataclass(frozen=True)
class ConsecutiveDaysOff(RuleSpec):
    """Runs of days off between ``minimum`` and ``maximum`` days (INRC-II S3, Curtois 7)."""

    family: ClassVar[str] = "consecutive_days_off"
    title: ClassVar[str] = "Consecutive days off"
    minimum: int | None = None
    maximum: int | None = None

    def violations(self, rule: Rule, ctx: CheckContext) -> Iterator[Finding]:
        days = ctx.days
        return _runs(
            rule,
            ctx,
            minimum=self.minimum,
            maximum=self.maximum,
            in_state=lambda staff, index: not ctx.working(staff, days[index]),
            before=lambda history: history.consecutive_days_off,
            what="days off",
        )
