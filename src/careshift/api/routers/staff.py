"""Staff of a unit (read only; staff records are owned by the workforce system)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from careshift.api.auth import Principal
from careshift.api.deps import Context, for_unit
from careshift.api.schemas import StaffOut

read = APIRouter(prefix="/units", tags=["staff"])
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]


@read.get("/{unit}/staff")
def list_staff(unit: str, context: Context, _: UnitReader) -> list[StaffOut]:
    """Staff the unit's planning problem holds (home staff and floats oriented to it)."""
    problem = context.decisions().planning.planning_input(unit).problem
    return [
        StaffOut(
            id=m.id,
            name=m.name,
            roles=sorted(m.roles),
            skills=sorted(m.skills),
            home_unit=m.home_unit,
            float_units=sorted(m.float_units),
        )
        for m in problem.staff
    ]
