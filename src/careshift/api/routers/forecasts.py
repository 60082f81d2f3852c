"""Forecasts (read only): the demand forecast behind a unit's plans and recommendations.

Runs are stored by ``careshift forecast predict --unit U`` and never edited; a plan records
the run it was made under (context ``forecast``), so a scheduler can open the forecast
behind any recommendation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from careshift.api.auth import Principal
from careshift.api.deps import Context, OnRecommendation, for_recommendation, for_unit
from careshift.api.schemas import ForecastOut, ForecastRunOut
from careshift.service.errors import NotFoundError

read = APIRouter(tags=["forecasts"])
UnitReader = Annotated[Principal, Depends(for_unit("staffing.read"))]
ReadRecommendation = Annotated[OnRecommendation, Depends(for_recommendation("staffing.read"))]
SkillFilter = Annotated[str | None, Query(description="Only this skill's periods; 'census' for the census")]

HOW_TO_PRODUCE = (
    "produce one with `careshift forecast predict --series census.csv --time-col ds --target-col y "
    "--unit {unit} --db <database URL> --out forecast.csv`"
)


@read.get("/units/{unit}/forecasts")
def latest_forecast(unit: str, context: Context, _: UnitReader, skill: SkillFilter = None) -> ForecastOut:
    """The unit's latest forecast: per skill and period the mean, quantiles and intervals, with
    the model version, feature set, when it was made and the data-quality verdict."""
    runs = context.decisions().forecasts(unit, limit=1)
    if not runs:
        raise NotFoundError(f"no forecast is stored for unit {unit}; " + HOW_TO_PRODUCE.format(unit=unit))
    return ForecastOut.with_points(runs[0], skill)


@read.get("/units/{unit}/forecasts/runs")
def forecast_runs(
    unit: str, context: Context, _: UnitReader, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[ForecastRunOut]:
    """The unit's forecast runs, newest first, without their periods."""
    return [ForecastRunOut.of(run) for run in context.decisions().forecasts(unit, limit)]


@read.get("/units/{unit}/forecasts/runs/{forecast_id}")
def forecast_run(
    unit: str, forecast_id: str, context: Context, _: UnitReader, skill: SkillFilter = None
) -> ForecastOut:
    """One forecast run of the unit with its periods."""
    found = context.decisions().forecast(forecast_id)
    if found is None or found.unit != unit:
        raise NotFoundError(
            f"unit {unit} has no forecast run {forecast_id!r}; list them at /units/{unit}/forecasts/runs"
        )
    return ForecastOut.with_points(found, skill)


@read.get("/recommendations/{recommendation_id}/forecast")
def recommendation_forecast(found: ReadRecommendation, context: Context) -> ForecastOut:
    """The forecast run the recommendation was planned under."""
    stored = context.decisions().recommendation(found.id)
    forecast_id = stored.recommendation.context.get("forecast")
    if not forecast_id:
        raise NotFoundError(
            f"recommendation {stored.id} was planned with no stored forecast (its cover came from the unit's "
            "configuration); " + HOW_TO_PRODUCE.format(unit=stored.unit) + " before the next plan"
        )
    forecast = context.decisions().forecast(forecast_id)
    if forecast is None:
        raise NotFoundError(f"recommendation {stored.id} names forecast {forecast_id!r}, which is not stored")
    return ForecastOut.with_points(forecast)
