"""The forecasts API on memory ports: latest run per unit with quantiles and intervals, the
run history, the forecast behind a recommendation, 404 with how to make one, 403 elsewhere;
and ``careshift forecast predict --unit`` storing a run the service then plans under."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careshift.adapters.store.decisions import SqlDecisionStore
from careshift.cli import app
from careshift.cli.forecast import parse_ratio
from careshift.domain.errors import DomainError, ForecastInputError
from careshift.service.errors import SolverFailed
from careshift.service.forecasts import ForecastPoint, StoredForecast, staff_needed, store_forecast
from careshift.service.messages import RepairAfterCallOut
from tests.unit.forecast_helpers import poisson_frame
from tests.unit.service_builders import OTHER, UNIT, Rig, ScriptedSolver, rig
from tests.unit.test_service_api import api, bearer
from tests.unit.test_service_usecases import after_call_out

MADE = datetime(2024, 1, 1, 5, tzinfo=UTC)


def run(forecast_id: str, generated_at: datetime, *, unit: str = UNIT, spread: float = 4.0) -> StoredForecast:
    """Two hours of census and RN forecasts; the 80 % interval is ``2 × spread`` wide."""
    points = tuple(
        ForecastPoint(
            start=datetime(2024, 1, 1, 7 + hour, tzinfo=UTC),
            skill=skill,
            mean=mean,
            quantiles={0.1: mean - spread, 0.5: mean, 0.9: mean + spread},
            intervals={80: (mean - spread, mean + spread)},
        )
        for hour in range(2)
        for skill, mean in ((None, 20.0), ("RN", 5.0))
    )
    return StoredForecast(
        forecast_id, unit, generated_at, "count_gbm 1.0", "calendar+lags", points, quality_verdict="ok"
    )


def with_forecasts(r: Rig, *runs: StoredForecast) -> None:
    for item in runs:
        store_forecast(r.service.uow, item, actor="tester", at=item.generated_at)


def test_latest_forecast_of_a_unit_with_quantiles_intervals_versions_and_quality() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    with_forecasts(r, run("old", MADE - timedelta(days=1)), run("new", MADE))
    client = api(r)
    reader = bearer("staffing.read", units=[UNIT])
    latest = client.get(f"/units/{UNIT}/forecasts", headers=reader).json()
    assert latest["id"] == "new" and latest["model_version"] == "count_gbm 1.0"
    assert latest["feature_set"] == "calendar+lags" and latest["quality"] == {"verdict": "ok", "reason": ""}
    assert latest["periods"] == 4 and len(latest["points"]) == 4
    census = latest["points"][0]
    assert census["skill"] is None and census["quantiles"] == {"0.1": 16.0, "0.5": 20.0, "0.9": 24.0}
    assert census["intervals"] == {"80": {"lo": 16.0, "hi": 24.0}}
    # (8/20 + 8/5) / 2 for each hour: relative to the median
    assert latest["width_80"] == 1.0
    rn = client.get(f"/units/{UNIT}/forecasts", params={"skill": "RN"}, headers=reader).json()["points"]
    assert {p["skill"] for p in rn} == {"RN"} and len(rn) == 2
    only_census = client.get(f"/units/{UNIT}/forecasts", params={"skill": "census"}, headers=reader).json()
    assert [p["skill"] for p in only_census["points"]] == [None, None]

    runs = client.get(f"/units/{UNIT}/forecasts/runs", headers=reader).json()
    assert [item["id"] for item in runs] == ["new", "old"] and "points" not in runs[0]
    assert client.get(f"/units/{UNIT}/forecasts/runs/old", headers=reader).json()["id"] == "old"
    assert [e.action for e in r.state.audit][-2:] == ["forecast.stored", "forecast.stored"]


def test_no_stored_forecast_is_a_404_saying_how_to_produce_one() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    client = api(r)
    missing = client.get(f"/units/{UNIT}/forecasts", headers=bearer("staffing.read"))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert "no forecast is stored for unit 4W" in missing.json()["detail"]
    assert "careshift forecast predict" in missing.json()["detail"] and "--unit 4W" in missing.json()["detail"]
    with_forecasts(r, run("theirs", MADE, unit=OTHER))
    elsewhere = client.get(f"/units/{UNIT}/forecasts/runs/theirs", headers=bearer("staffing.read"))
    assert elsewhere.status_code == 404 and "/units/4W/forecasts/runs" in elsewhere.json()["detail"]


def test_forecasts_of_another_unit_are_forbidden() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    with_forecasts(r, run("f", MADE))
    client = api(r)
    for url in (f"/units/{UNIT}/forecasts", f"/units/{UNIT}/forecasts/runs", f"/units/{UNIT}/forecasts/runs/f"):
        refused = client.get(url, headers=bearer("staffing.read", units=[OTHER]))
        assert refused.status_code == 403 and "limited to units" in refused.json()["detail"], url
        assert client.get(url, headers=bearer("staffing.decide", units=[UNIT])).status_code == 403, url
        assert client.get(url, headers=bearer("staffing.read", units=[UNIT])).status_code == 200, url


def test_a_plan_records_the_latest_forecast_and_the_api_shows_it_behind_the_recommendation() -> None:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    client = api(r)
    after_call_out(r)
    reader = bearer("staffing.read", units=[UNIT])
    before = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    unplanned = client.get(f"/recommendations/{before.id}/forecast", headers=reader)
    # the rig's planning input names forecast "f-1", which was never stored
    assert unplanned.status_code == 404 and "names forecast 'f-1', which is not stored" in unplanned.json()["detail"]

    with_forecasts(r, run("f-9", MADE, spread=2.0))
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation.recommendation
    assert rec.context["forecast"] == "f-9" and rec.context["forecast_width_80"] == "0.500"
    behind = client.get(f"/recommendations/{rec.id}/forecast", headers=reader).json()
    assert behind["id"] == "f-9" and len(behind["points"]) == 4
    other = client.get(f"/recommendations/{rec.id}/forecast", headers=bearer("staffing.read", units=[OTHER]))
    assert other.status_code == 403


def test_predict_with_a_unit_stores_the_run_with_the_gate_verdict(tmp_path: Path) -> None:
    frame, _ = poisson_frame(weeks=4)
    series = tmp_path / "census.csv"
    frame.assign(ds=frame["ds"].dt.tz_localize("UTC").map(lambda t: t.isoformat())).to_csv(series, index=False)
    url = f"sqlite:///{tmp_path / 'careshift.sqlite3'}"
    args = ["forecast", "predict", "--series", str(series), "--time-col", "ds", "--target-col", "y", "--tz", "UTC"]
    args += ["--horizon", "6h", "--rounds", "10", "--out", str(tmp_path / "f.csv"), "--unit", UNIT, "--db", url]
    args += ["--ratio", "RN:4", "--ratio", "CNA:8"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"for unit {UNIT}" in result.output
    store = SqlDecisionStore(url)
    try:
        with store.reader() as uow:
            (stored,) = uow.forecasts.for_unit(UNIT)
            actions = [e.action for e in uow.audit.entries()]
    finally:
        store.close()
    assert len(stored.points) == 18 and stored.step_minutes == 60
    census = [p for p in stored.points if p.skill is None]
    assert census[0].start == frame["ds"].iloc[-1].tz_localize("UTC").to_pydatetime() + timedelta(hours=1)
    assert all(p.intervals[80][0] <= p.median <= p.intervals[80][1] for p in stored.points)
    rn = [p for p in stored.points if p.skill == "RN"]
    assert [p.start for p in rn] == [p.start for p in census]
    assert all(r.quantiles[0.9] == math.ceil(c.quantiles[0.9] / 4 - 1e-9) for r, c in zip(rn, census, strict=True))
    assert stored.quality_verdict == "unknown" and "no staff, roster or census" in stored.quality_reason
    assert stored.model_version.startswith("count_gbm") and "holidays(-)" in stored.feature_set
    assert actions == ["forecast.stored"]


def test_staff_needed_maps_census_quantiles_through_the_ratio() -> None:
    census = (
        ForecastPoint(MADE, None, 9.0, {0.5: 8.0, 0.9: 12.2}, {80: (6.0, 12.2)}),
        ForecastPoint(MADE, "RN", 2.0, {0.5: 2.0}),  # not a census point: skipped
    )
    (rn,) = staff_needed(census, "RN", 4)
    assert rn.skill == "RN" and rn.mean == 2.25
    assert rn.quantiles == {0.5: 2.0, 0.9: 4.0} and rn.intervals == {80: (2.0, 4.0)}
    with pytest.raises(DomainError, match="patients per staff must be positive"):
        staff_needed(census, "RN", 0)


def test_a_ratio_option_names_its_format_when_wrong() -> None:
    assert parse_ratio("RN:4") == ("RN", 4.0) and parse_ratio(" CNA : 7.5") == ("CNA", 7.5)
    for bad in ("RN", "RN:x", ":4", "RN:-1"):
        with pytest.raises(ForecastInputError, match="SKILL:PATIENTS_PER_STAFF"):
            parse_ratio(bad)
