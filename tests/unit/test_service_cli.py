"""`careshift serve`, `token` and `audit verify` through a Typer app of our own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from careshift.api.auth import development_keys
from careshift.cli.serve import register
from careshift.domain.errors import DomainError
from careshift.domain.recommendations import UnitMode
from careshift.service.bootstrap import build_services
from careshift.service.messages import ChangeUnitMode
from tests.unit.service_builders import UNIT, ScriptedSolver, rig

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    register(app)
    return app


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "development")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CARESHIFT_JWT_PUBLIC_KEY_FILE", raising=False)
    return tmp_path / "data"


def test_token_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CARESHIFT_ENVIRONMENT", "production")
    monkeypatch.setenv("CARESHIFT_DATA_DIR", str(tmp_path))
    result = runner.invoke(cli(), ["token", "--scope", "staffing.read"])
    assert result.exit_code != 0
    assert isinstance(result.exception, DomainError) and "only runs in development" in str(result.exception)
    assert not list(tmp_path.iterdir())  # no key was generated either


def test_token_in_development_carries_scopes_and_units(development: Path) -> None:
    result = runner.invoke(
        cli(), ["token", "--scope", "staffing.read", "--scope", "staffing.decide", "--unit", UNIT, "--subject", "bob"]
    )
    assert result.exit_code == 0, result.output
    keys = development_keys(development)
    claims = jwt.decode(result.output.strip(), keys.public_pem, algorithms=["ES256"], audience="careshift-api")
    assert claims["scope"] == "staffing.decide staffing.read" and claims["units"] == [UNIT] and claims["sub"] == "bob"
    bad = runner.invoke(cli(), ["token", "--scope", "staffing.everything"])
    assert isinstance(bad.exception, DomainError) and "unknown scope" in str(bad.exception)


def test_audit_verify_detects_tampering(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    r = rig(ScriptedSolver())
    services = build_services(r.planning, database_url=url, solver=ScriptedSolver(), clock=r.clock)
    services.bus.handle(ChangeUnitMode(UNIT, UnitMode.RECOMMEND, actor="admin"))
    services.bus.handle(ChangeUnitMode(UNIT, UnitMode.APPROVE, actor="admin"))
    services.close()
    ok = runner.invoke(cli(), ["audit", "verify", "--db", url])
    assert ok.exit_code == 0 and "intact: 2 entries" in ok.output
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE seq = 0"))
    engine.dispose()
    broken = runner.invoke(cli(), ["audit", "verify", "--db", url])
    assert broken.exit_code == 1 and "BROKEN at entry 1" in broken.output


def test_serve_wires_the_api_over_the_database(
    development: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        captured["app"], captured["kwargs"] = app, kwargs
        client = TestClient(app)
        token = runner.invoke(cli(), ["token", "--scope", "staffing.read", "--scope", "staffing.admin"]).output.strip()
        headers = {"Authorization": f"Bearer {token}"}
        captured["units"] = client.get("/units", headers=headers).json()
        captured["mode"] = client.put(f"/units/{UNIT}/mode", json={"mode": "recommend"}, headers=headers).json()
        captured["verify"] = client.get("/audit/verify", headers=headers).json()

    monkeypatch.setattr("uvicorn.run", fake_run)
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    result = runner.invoke(cli(), ["serve", "--host", "127.0.0.1", "--port", "8765", "--db", url, "--units", UNIT])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/docs" in result.output
    assert captured["kwargs"]["port"] == 8765
    defaults = {"max_risk": 0.4, "min_confidence": 0.7}
    assert captured["units"] == [{"unit": UNIT, "mode": "shadow", **defaults}]
    assert captured["mode"] == {"unit": UNIT, "mode": "recommend", **defaults}
    assert captured["verify"]["ok"] and captured["verify"]["entries"] == 1
    assert runner.invoke(cli(), ["audit", "verify", "--db", url]).exit_code == 0
