from datetime import UTC, datetime

from fastapi.testclient import TestClient

from careshift.api.app import create_app
from careshift.api.auth import generate_keys, mint
from careshift.api.deps import ApiContext
from careshift.telemetry.audit import MemoryAuditStore, record

NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)
KEYS = generate_keys()


def client() -> tuple[TestClient, MemoryAuditStore]:
    store = MemoryAuditStore()
    record(store, at=NOW, actor="system", scope="global", action="demo.seeded", payload={"seed": 1})
    app = create_app(ApiContext(public_key_pem=KEYS.public_pem, audit=store, clock=lambda: NOW))
    return TestClient(app), store


def bearer(*scopes: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint(KEYS, subject="t", scopes=scopes, now=NOW)}


def test_health_needs_no_token() -> None:
    api, _ = client()
    assert api.get("/health").json()["status"] == "ok"


def test_missing_token_is_a_401_problem_document() -> None:
    api, _ = client()
    response = api.get("/audit/verify")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized") and "Bearer" in body["detail"]


def test_wrong_scope_is_a_403_and_admin_can_verify_the_chain() -> None:
    api, _ = client()
    assert api.get("/audit/verify", headers=bearer("staffing.read")).status_code == 403
    body = api.get("/audit/verify", headers=bearer("staffing.admin")).json()
    assert body == {"entries": 1, "ok": True, "broken_at": None, "problem": ""}


def test_metrics_count_requests() -> None:
    api, _ = client()
    api.get("/health")
    text = api.get("/metrics").text
    assert 'careshift_http_requests_total{route="/health",status="200"}' in text


def test_unknown_route_is_a_problem_document() -> None:
    api, _ = client()
    response = api.get("/nope")
    assert response.status_code == 404 and response.json()["status"] == 404
