"""`careshift demo` end to end: seed a SQLite file through the real CSV, MLLP/HL7 and bus
paths, then read it back through the API the composition root builds over that file, and
serve it (uvicorn replaced by an in-process client) with the printed development token."""

from __future__ import annotations

import json
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
UNIT = "4W"


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "development")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_demo_seeds_a_store_the_api_reads_back(development: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    seeded = CliRunner().invoke(
        app,
        ["demo", "--seed", "3", "--weeks", "1", "--no-serve", "--db", url, "--units", UNIT, "--time-limit", "2"],
        env={"COLUMNS": "4000"},
    )
    assert seeded.exit_code == 0, seeded.output
    assert "acknowledged AA" in seeded.output and f"repaired {UNIT} after call-outs" in seeded.output

    stats = CliRunner().invoke(app, ["events", "stats", "--db", url, "--json"])
    assert stats.exit_code == 0, stats.output
    counts = json.loads(stats.output)
    assert counts["by_source"]["hl7v2:DEMO-ADT@DEMOHOSP"] >= 20
    assert counts["by_kind"]["PatientArrived"] >= 20
    assert counts["by_kind"]["StaffCalledOut"] == 2 and counts["quarantined"] == 0

    api, services = build_api(url, (UNIT,), time_limit=2, start_ticker=False)
    try:
        token = mint(development_keys(development), subject="t", scopes=["staffing.read"], now=utc_now())
        client = TestClient(api)
        headers = {"Authorization": f"Bearer {token}"}
        listed = client.get(f"/units/{UNIT}/recommendations", headers=headers)
        assert listed.status_code == 200, listed.text
        current = client.get(f"/units/{UNIT}/recommendations/current", headers=headers).json()
        codes = {reason["code"] for reason in current["reasons"]}
        assert "hard.removed" in codes, current
        assert current["status"] == "proposed" and current["produced_by"] == "optimizer"
    finally:
        services.close()

    again = CliRunner().invoke(
        app,
        ["demo", "--seed", "3", "--weeks", "1", "--no-serve", "--db", url, "--units", UNIT],
        env={"COLUMNS": "4000"},
    )
    assert again.exit_code == 0, again.output
    assert "replaced the earlier demo database" in again.output


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
    assert "http://127.0.0.1:8123/docs" in result.output and "http://127.0.0.1:8123/console/" in result.output
    (printed,) = [line for line in result.output.splitlines() if line.startswith("eyJ")]
    claims = jwt.decode(
        printed, development_keys(development).public_pem, algorithms=["ES256"], audience="careshift-api"
    )
    assert set(claims["scope"].split()) == {"staffing.read", "staffing.decide", "staffing.approve", "staffing.admin"}
