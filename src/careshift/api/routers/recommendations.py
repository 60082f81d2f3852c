"""Recommendations (read only: they are created by plan/repair and changed by decisions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from careshift.api.auth import Principal
from careshift.api.deps import Context, OnRecommendation, for_recommendation, for_unit, requires
from careshift.api.schemas import RecommendationOut
from careshift.service.errors import NotFoundError

read = APIRouter(tags=["recommendations"])
Reader = Annotated[Principal, Depends(requires("staffing.read"))]
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]
ReadRecommendation = Annotated[OnRecommendation, Depends(for_recommendation("staffing.read"))]


@read.get("/units/{unit}/recommendations")
def unit_recommendations(
    unit: str, context: Context, _: UnitReader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[RecommendationOut]:
    """The unit's recommendations, newest first."""
    return [RecommendationOut.of(item) for item in context.decisions().recommendations(unit, limit)]


@read.get("/units/{unit}/recommendations/current")
async def current_recommendation(unit: str, context: Context, _: UnitReader) -> RecommendationOut:
    """The newest recommendation waiting for a decision (consoles poll this: a cached answer
    is served on the event loop, a miss goes to the database on a worker thread)."""
    service = context.decisions()
    cached, current = service.cached_current(unit)
    if not cached:
        current = await run_in_threadpool(service.current, unit)
    if current is None:
        raise NotFoundError(f"unit {unit} has no recommendation waiting for a decision")
    return RecommendationOut.of(current)


@read.get("/recommendations/{recommendation_id}")
def get_recommendation(found: ReadRecommendation, context: Context) -> RecommendationOut:
    """One recommendation with its reasons, disruption, versions and producing mode."""
    return RecommendationOut.of(context.decisions().recommendation(found.id))
