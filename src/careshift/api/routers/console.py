"""Read models the scheduler console needs that the resource routers do not give directly.

``GET /auth/whoami`` tells the console who the token speaks for and which scopes it holds,
so it can disable buttons the server would refuse anyway (the server still checks every
call). ``GET /units/{unit}/coverage`` lays the live roster out per day and shift against
the unit's cover requirements, with the checker's violations and their reason text.
Both are read only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from careshift.api.auth import Principal
from careshift.api.deps import Context, CurrentPrincipal, for_unit
from careshift.api.schemas import CheckOut
from careshift.domain.checker import check
from careshift.domain.errors import DomainError
from careshift.domain.recommendations import UnitMode
from careshift.domain.schedule import Schedule
from careshift.service.repositories import CheckSummary
from careshift.service.usecases import roster_version

read = APIRouter(tags=["console"])
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]

MAX_DAYS = 62


class WhoAmIOut(BaseModel):
    subject: str
    role: str
    scopes: list[str]
    units: list[str] | None = Field(description="The units the token is limited to; null means all units")


class ShiftOut(BaseModel):
    id: str
    start: str | None
    end: str | None


class CoverCellOut(BaseModel):
    """One day and shift: who works it and what the cover requirements ask for."""

    day: date
    shift: str
    staff: list[str]
    assigned: int
    floor: int = Field(description="Hard minimum (law or policy), summed over the shift's skill requirements")
    target: int = Field(description="Soft target (forecast at the unit's risk level)")
    cap: int | None = Field(description="Soft maximum; null when any requirement has no cap")
    status: str = Field(description="below-floor, below-target, over-cap, ok, or no-requirement")


class ViolationOut(BaseModel):
    rule_id: str
    family: str
    hard: bool
    amount: int
    penalty: int
    staff: str | None
    day: date | None
    reason: str


class CoverageOut(BaseModel):
    unit: str
    mode: UnitMode
    roster_version: str
    source: str
    horizon_start: date
    horizon_days: int
    start: date
    days: list[date]
    shifts: list[ShiftOut]
    cells: list[CoverCellOut]
    check: CheckOut
    violations: list[ViolationOut] = Field(description="The checker's findings on the shown days, hard first")


@read.get("/auth/whoami")
def whoami(principal: CurrentPrincipal) -> WhoAmIOut:
    """The bearer token's subject, role, scopes and unit limits (verified, nothing more)."""
    return WhoAmIOut(
        subject=principal.subject,
        role=principal.role,
        scopes=sorted(principal.scopes),
        units=None if principal.units is None else sorted(principal.units),
    )


def _status(assigned: int, floor: int, target: int, cap: int | None, required: bool) -> str:
    if not required:
        return "no-requirement"
    if assigned < floor:
        return "below-floor"
    if assigned < target:
        return "below-target"
    if cap is not None and assigned > cap:
        return "over-cap"
    return "ok"


@read.get("/units/{unit}/coverage")
def coverage(
    unit: str,
    context: Context,
    _: UnitReader,
    start: Annotated[date | None, Query(description="First day shown (default: today, within the horizon)")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days to show")] = 7,
) -> CoverageOut:
    """The live roster per day and shift against cover floor/target/cap, and the checker's
    violations (rule, staff, day, reason) on the days shown."""
    service = context.decisions()
    planning = service.planning.planning_input(unit)
    problem = planning.problem
    horizon = problem.horizon.days
    first, last = horizon[0], horizon[-1]
    if start is None:
        today = context.clock().date()
        start = min(max(today, first), last)
    elif not first <= start <= last:
        raise DomainError(f"start {start} is outside unit {unit}'s planning horizon {first}..{last}; pick a day in it")
    shown = [day for day in (start + timedelta(days=i) for i in range(days)) if day <= last]
    wanted = set(shown)
    roster = planning.current or Schedule(())

    staff_on: dict[tuple[date, str], list[str]] = defaultdict(list)
    for a in roster:
        if a.day in wanted and (a.unit is None or a.unit == unit):
            staff_on[(a.day, a.shift)].append(a.staff)
    need: dict[tuple[date, str], list[tuple[int, int, int | None]]] = defaultdict(list)
    for c in problem.cover:
        if c.day in wanted and (c.unit is None or c.unit == unit):
            need[(c.day, c.shift)].append((c.floor, c.target, c.cap))

    cells: list[CoverCellOut] = []
    for day in shown:
        for shift in problem.shift_types:
            key = (day, shift.id)
            levels = need.get(key, [])
            floor = sum(f for f, _, _ in levels)
            target = sum(t for _, t, _ in levels)
            caps = [c for _, _, c in levels]
            cap = None if not caps or any(c is None for c in caps) else sum(c for c in caps if c is not None)
            people = sorted(staff_on.get(key, []))
            cells.append(
                CoverCellOut(
                    day=day,
                    shift=shift.id,
                    staff=people,
                    assigned=len(people),
                    floor=floor,
                    target=target,
                    cap=cap,
                    status=_status(len(people), floor, target, cap, bool(levels)),
                )
            )

    report = check(problem, roster)
    summary = CheckSummary.of(report)
    violations = [
        ViolationOut(
            rule_id=v.rule_id,
            family=v.family,
            hard=v.hard,
            amount=v.amount,
            penalty=v.penalty,
            staff=v.staff,
            day=v.day or (v.at.date() if v.at else None),
            reason=v.reason,
        )
        for v in sorted(report.violations, key=lambda v: (not v.hard, str(v.day or v.at or ""), v.rule_id))
    ]
    violations = [v for v in violations if v.day is None or v.day in wanted]
    return CoverageOut(
        unit=unit,
        mode=service.mode(unit),
        roster_version=roster_version(planning.current),
        source=roster.source,
        horizon_start=first,
        horizon_days=len(horizon),
        start=start,
        days=shown,
        shifts=[
            ShiftOut(
                id=s.id,
                start=None if s.start is None else s.start.strftime("%H:%M"),
                end=None if s.end is None else s.end.strftime("%H:%M"),
            )
            for s in problem.shift_types
        ],
        cells=cells,
        check=CheckOut.of(summary),
        violations=violations,
    )
