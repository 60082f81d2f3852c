"""`careshift demo` end to end: seed a SQLite file through the real CSV, MLLP/HL7 and bus
paths, then read it back through the API the composition root builds over that file, and
serve it (uvicorn replaced by an in-process client) with the printed development token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from careshift.api.auth import development_keys, mint
from careshift.cli import app
from careshift.cli.serve import build_api
from careshift.service.bootstrap import utc_now

pytestmark = pytest.mark.slow
HOSPITAL = ("icu", "sdu", "msu", "ed")
UNIT = "msu"


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "development")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_demo_plans_and_serves_every_unit_of_the_synthetic_hospital(development: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    seeded = CliRunner().invoke(
        app,
        ["demo", "--seed", "3", "--weeks", "1", "--no-serve", "--db", url, "--time-limit", "2"],
        env={"COLUMNS": "4000"},
    )
    assert seeded.exit_code == 0, seeded.output
    assert "acknowledged AA" in seeded.output and "demo-census.csv" in seeded.output
    for index, unit in enumerate(HOSPITAL, start=1):
        assert f"[{index}/4] planned {unit}: " in seeded.output or f"[{index}/4] {unit}: " in seeded.output
    assert "repaired msu after call-outs" in seeded.output
    assert "demo-census-history.csv: " in seeded.output
    stored = {
        unit: re.search(rf"forecast {unit}: count model on .* stored as run (\w+)", seeded.output) for unit in HOSPITAL
    }
    runs = {unit: found.group(1) for unit, found in stored.items() if found}
    assert sorted(runs) == sorted(HOSPITAL), seeded.output  # one stored census run per seeded unit

    stats = CliRunner().invoke(app, ["events", "stats", "--db", url, "--json"])
    assert stats.exit_code == 0, stats.output
    counts = json.loads(stats.output)
    assert counts["by_source"]["hl7v2:DEMO-ADT@DEMOHOSP"] >= 4 * 20
    assert counts["by_kind"]["PatientArrived"] >= 4 * 10
    assert counts["by_kind"]["StaffCalledOut"] == 2 * len(HOSPITAL) and counts["quarantined"] == 0

    notes: list[str] = []
    api, services = build_api(url, time_limit=2, start_ticker=False, note=notes.append)
    try:
        assert notes == ["planning the database's units: ed, icu, msu, sdu"]
        token = mint(development_keys(development), subject="t", scopes=["staffing.read"], now=utc_now())
        client = TestClient(api)
        headers = {"Authorization": f"Bearer {token}"}
        listed = client.get("/units", headers=headers)
        assert listed.status_code == 200, listed.text
        assert sorted(item["unit"] for item in listed.json()) == sorted(HOSPITAL)
        for unit in HOSPITAL:
            current = client.get(f"/units/{unit}/recommendations/current", headers=headers)
            if current.status_code != 200:  # then the demo said why this unit has none
                assert f"{unit}: no recommendation: " in seeded.output, (unit, current.text)
                continue
            item = current.json()
            assert item["unit"] == unit and item["status"] == "proposed" and item["check"]["feasible"], item
            assert item["policy_version"] == services.service.planning.planning_input(unit).problem.policy_version
            context = item["context"]
            assert context["cover_source"] == "forecast" and context["policy_pack"], item
            assert context["cover_forecast"].startswith(f"stored census forecast run {runs[unit]} (count_gbm"), item
            assert context["forecast"] == runs[unit], item
            assert item["reasons"] and all(a["unit"] == unit for a in item["added"]), item
        for unit in HOSPITAL:  # every seeded unit's stored census run is served
            served = client.get(f"/units/{unit}/forecasts", headers=headers)
            assert served.status_code == 200, served.text
            body = served.json()
            assert body["id"] == runs[unit] and body["unit"] == unit, body
        assert client.get("/units/4W/recommendations/current", headers=headers).status_code == 404
    finally:
        services.close()

    again = CliRunner().invoke(
        app,
        ["demo", "--seed", "3", "--weeks", "1", "--no-serve", "--db", url, "--units", "nope"],
        env={"COLUMNS": "4000"},
    )
    assert again.exit_code != 0 and "not a unit of the synthetic hospital" in str(again.exception)
    assert "choose from icu, sdu, msu, ed" in str(again.exception)


def test_serve_over_an_empty_database_falls_back_to_the_sample_units_and_says_so(
    development: Path, tmp_path: Path
) -> None:
    notes: list[str] = []
    api, services = build_api(f"sqlite:///{tmp_path / 'empty.db'}", start_ticker=False, note=notes.append)
    try:
        (note,) = notes
        assert "holds no units, so the SAMPLE units 4W, 5E are served" in note
        assert "careshift demo --no-serve --db URL" in note
        assert services.service.planning.units() == ["4W", "5E"]
    finally:
        services.close()


def test_demo_serves_with_a_printed_url_and_a_working_token(
    development: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: dict[str, Any] = {}

    def fake_run(api: FastAPI, *, host: str, port: int, **_: object) -> None:
        served.update(host=host, port=port)
        token = mint(development_keys(development), subject="t", scopes=["staffing.read"], now=utc_now())
        client = TestClient(api)
        served["docs"] = client.get("/docs").status_code
        served["units"] = client.get("/units", headers={"Authorization": f"Bearer {token}"}).json()
        served["current"] = client.get(
            f"/units/{UNIT}/recommendations/current", headers={"Authorization": f"Bearer {token}"}
        ).json()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--weeks", "1", "--db", url, "--units", UNIT, "--time-limit", "2", "--port", "8123"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "4000"})
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123 and served["docs"] == 200
    assert served["current"]["reasons"], served["current"]
    assert [item["unit"] for item in served["units"]] == [UNIT]  # --units narrows what is planned and served
    assert "http://127.0.0.1:8123/docs" in result.output and "http://127.0.0.1:8123/console/" in result.output
    (printed,) = [line for line in result.output.splitlines() if line.startswith("eyJ")]
    claims = jwt.decode(
        printed, development_keys(development).public_pem, algorithms=["ES256"], audience="careshift-api"
    )
    assert set(claims["scope"].split()) == {"staffing.read", "staffing.decide", "staffing.approve", "staffing.admin"}
