"""Decisions on recommendations (``staffing.decide``) and approval (``staffing.approve``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from careshift.api.auth import Principal
from careshift.api.deps import Context, OnRecommendation, for_recommendation, requires, write_scope
from careshift.api.schemas import ApprovalIn, DecisionIn, DecisionOut, RecommendationOut
from careshift.domain.decisions import REASONS
from careshift.service.messages import ApproveRecommendation, RecordDecision

read = APIRouter(tags=["decisions"])
write = APIRouter(tags=["decisions"])
Reader = Annotated[Principal, Depends(requires("staffing.read"))]
ReadRecommendation = Annotated[OnRecommendation, Depends(for_recommendation("staffing.read"))]
DecideRecommendation = Annotated[OnRecommendation, Depends(for_recommendation("staffing.decide"))]
ApproveOn = Annotated[OnRecommendation, Depends(for_recommendation("staffing.approve"))]


@read.get("/decisions/reasons")
def reasons(_: Reader) -> list[dict[str, str]]:
    """The coded reasons for override and defer (adapted from CDS Hooks non-adherence reasons)."""
    return [{"code": r.code, "parent": r.parent, "display": r.display} for r in REASONS.values()]


@read.get("/decisions")
def decision_log(context: Context, principal: Reader, unit: Annotated[str | None, Query()] = None) -> list[DecisionOut]:
    """The decision log (a unit-limited token must name one of its units)."""
    if unit is not None or principal.units is not None:
        principal.require("staffing.read", unit if unit is not None else "")
    return [DecisionOut.of(d) for d in context.decisions().decisions(unit=unit)]


@read.get("/recommendations/{recommendation_id}/decisions")
def recommendation_decisions(found: ReadRecommendation, context: Context) -> list[DecisionOut]:
    """Every decision taken on one recommendation, in order."""
    return [DecisionOut.of(d) for d in context.decisions().decisions(found.id)]


@write.post(
    "/recommendations/{recommendation_id}/decisions", status_code=201, openapi_extra=write_scope("staffing.decide")
)
async def decide(body: DecisionIn, found: DecideRecommendation, context: Context) -> DecisionOut:
    """Accept, override (coded reason) or defer (coded reason) a recommendation."""
    principal = found.principal
    command = RecordDecision(found.id, body.outcome, principal.subject, principal.role, body.reason_code, body.comment)
    bus = context.message_bus()
    return DecisionOut.of(await context.write(lambda: bus.handle(command)))


@write.post("/recommendations/{recommendation_id}/approval", openapi_extra=write_scope("staffing.approve"))
async def approve(body: ApprovalIn, found: ApproveOn, context: Context) -> RecommendationOut:
    """Approve an accepted recommendation; in approve/auto mode its changes are queued for write-back."""
    principal = found.principal
    command = ApproveRecommendation(found.id, principal.subject, principal.role, body.comment)
    bus = context.message_bus()
    return RecommendationOut.of(await context.write(lambda: bus.handle(command)))
