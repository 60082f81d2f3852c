"""Schedules of a unit: the live roster and the last approved one (read only: schedules
change through decisions and approval, never by direct write)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from careshift.api.auth import Principal
from careshift.api.deps import Context, for_unit
from careshift.api.schemas import AssignmentOut, ScheduleOut
from careshift.domain.schedule import Schedule
from careshift.service.errors import NotFoundError
from careshift.service.usecases import roster_version

read = APIRouter(prefix="/units", tags=["schedules"])
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]


@read.get("/{unit}/schedule")
def live_schedule(unit: str, context: Context, _: UnitReader) -> ScheduleOut:
    """The live roster (after call-outs and swaps) the next repair starts from."""
    current = context.decisions().planning.planning_input(unit).current or Schedule(())
    return ScheduleOut(
        unit=unit,
        source=current.source,
        roster_version=roster_version(current),
        assignments=[AssignmentOut.of(a) for a in current],
    )


@read.get("/{unit}/schedule/approved")
def approved_schedule(unit: str, context: Context, _: UnitReader) -> ScheduleOut:
    """The roster as last approved, with who approved it and from which recommendation."""
    approved = context.decisions().approved(unit)
    if approved is None:
        raise NotFoundError(f"unit {unit} has no approved schedule yet; approve a recommendation first")
    return ScheduleOut(
        unit=unit,
        source=approved.schedule.source,
        roster_version=roster_version(approved.schedule),
        assignments=[AssignmentOut.of(a) for a in approved.schedule],
        approved_at=approved.approved_at,
        approved_by=approved.approved_by,
        recommendation_id=approved.recommendation_id,
    )
