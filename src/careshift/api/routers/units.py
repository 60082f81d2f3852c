"""Units: list, mode (read / admin write), plan and repair on demand, candidates for an open shift."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from careshift.api.auth import Principal
from careshift.api.deps import Context, for_unit, requires, write_scope
from careshift.api.schemas import CandidateOut, ModeIn, ModeOut, PlanOut
from careshift.engine.candidates import OpenShift
from careshift.service.messages import ChangeUnitMode, PlanUnit, RepairAfterCallOut
from careshift.service.usecases import DecisionService

read = APIRouter(prefix="/units", tags=["units"])
write = APIRouter(prefix="/units", tags=["units"])

Reader = Annotated[Principal, Depends(requires("staffing.read"))]
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]
UnitDecider = Annotated[Principal, Depends(for_unit("staffing.decide"))]
UnitAdmin = Annotated[Principal, Depends(for_unit("staffing.admin"))]


@read.get("")
def list_units(context: Context, principal: Reader) -> list[ModeOut]:
    """The units this token may see, with their modes."""
    service = context.decisions()
    units = service.planning.units()
    allowed = [u for u in units if principal.units is None or u in principal.units]
    return [mode_out(service, unit) for unit in allowed]


def mode_out(service: DecisionService, unit: str) -> ModeOut:
    thresholds = service.auto_thresholds(unit)
    return ModeOut(
        unit=unit, mode=service.mode(unit), max_risk=thresholds.max_risk, min_confidence=thresholds.min_confidence
    )


@read.get("/{unit}/mode")
def get_mode(unit: str, context: Context, _: UnitReader) -> ModeOut:
    """The unit's mode (off, shadow, recommend, approve or auto) and its auto thresholds."""
    return mode_out(context.decisions(), unit)


@read.get("/{unit}/candidates")
def candidates(
    unit: str,
    context: Context,
    _: UnitReader,
    day: Annotated[date, Query(description="The open shift's day")],
    shift: Annotated[str, Query(description="The shift type id")],
    skill: Annotated[str | None, Query()] = None,
) -> list[CandidateOut]:
    """Everyone who could take the open shift, best first, with why-not for the rest."""
    ranked = context.decisions().candidates(unit, OpenShift(day, shift, skill, unit))
    return [CandidateOut.of(c) for c in ranked]


@write.put("/{unit}/mode", openapi_extra=write_scope("staffing.admin"))
def set_mode(unit: str, body: ModeIn, context: Context, principal: UnitAdmin) -> ModeOut:
    """Switch the unit's mode at once, optionally with new auto thresholds (risk at most
    ``max_risk``, confidence at least ``min_confidence``); audited with the reason."""
    context.decisions().planning.planning_input(unit)  # a clear error for an unknown unit
    command = ChangeUnitMode(
        unit,
        body.mode,
        principal.subject,
        body.reason,
        max_risk=body.max_risk,
        min_confidence=body.min_confidence,
    )
    context.message_bus().handle(command)
    return mode_out(context.decisions(), unit)


@write.post("/{unit}/plan", openapi_extra=write_scope("staffing.decide"))
def plan(unit: str, context: Context, principal: UnitDecider) -> PlanOut:
    """Plan the unit now (the solve runs in a worker process; the fallback chain answers if it
    fails or times out). The response names the producing mode and the checker's verdict."""
    outcome = context.message_bus().handle(PlanUnit(unit, actor=principal.subject))
    return PlanOut.of(outcome)


@write.post("/{unit}/repair", openapi_extra=write_scope("staffing.decide"))
def repair(unit: str, context: Context, principal: UnitDecider) -> PlanOut:
    """Repair the unit's live roster now (after call-outs), with minimal changes."""
    outcome = context.message_bus().handle(RepairAfterCallOut(unit, actor=principal.subject))
    return PlanOut.of(outcome)
