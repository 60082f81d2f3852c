"""The console's read endpoints (whoami, coverage) and the static files, on memory ports."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from careshift.api.app import create_app
from careshift.api.auth import generate_keys, mint
from careshift.api.deps import ApiContext
from careshift.service.memory import MemoryAuditView
from tests.unit.rules_roster import day
from tests.unit.service_builders import OTHER, UNIT, Rig, ScriptedSolver, called_out, current_roster, rig

NOW = datetime(2024, 1, 1, 6, tzinfo=UTC)
KEYS = generate_keys()


def client_for(r: Rig) -> TestClient:
    context = ApiContext(
        public_key_pem=KEYS.public_pem, audit=MemoryAuditView(r.state), clock=r.clock, service=r.service, bus=r.bus
    )
    return TestClient(create_app(context))


def bearer(*scopes: str, units: list[str] | None = None) -> dict[str, str]:
    token = mint(KEYS, subject="ann", role="charge nurse", scopes=scopes, now=NOW, units=units)
    return {"Authorization": f"Bearer {token}"}


def test_whoami_reports_the_verified_token() -> None:
    client = client_for(rig(ScriptedSolver()))
    me = client.get("/auth/whoami", headers=bearer("staffing.read", "staffing.decide", units=[UNIT])).json()
    assert me == {
        "subject": "ann",
        "role": "charge nurse",
        "scopes": ["staffing.decide", "staffing.read"],
        "units": [UNIT],
    }


def test_whoami_without_a_token_is_a_problem_document() -> None:
    response = client_for(rig(ScriptedSolver())).get("/auth/whoami")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthorized"


def test_coverage_shows_the_hole_a_call_out_leaves_with_the_checkers_reason() -> None:
    r = rig(ScriptedSolver())
    gone = called_out(current_roster())  # day 2's E shift, floor 1
    before = client_for(r).get(f"/units/{UNIT}/coverage", headers=bearer("staffing.read")).json()
    r.planning.call_out(UNIT, gone.staff, gone.day)
    body = client_for(r).get(f"/units/{UNIT}/coverage", headers=bearer("staffing.read")).json()

    assert body["start"] == str(day(0)) and body["days"][0] == str(day(0)) and len(body["days"]) == 7
    assert body["mode"] == "approve"
    assert [s["id"] for s in body["shifts"]] == ["D", "E", "N"]
    cell = next(c for c in body["cells"] if c["day"] == str(gone.day) and c["shift"] == "E")
    old = next(c for c in before["cells"] if c["day"] == str(gone.day) and c["shift"] == "E")
    assert gone.staff in old["staff"] and gone.staff not in cell["staff"]
    assert cell["assigned"] == old["assigned"] - 1 == 0
    assert (cell["floor"], cell["target"], cell["cap"], cell["status"]) == (1, 1, 2, "below-floor")
    assert not body["check"]["feasible"] and body["check"]["hard_rules"] == ["floor"]
    hard = [v for v in body["violations"] if v["hard"]]
    assert hard[0]["rule_id"] == "floor" and hard[0]["day"] == str(gone.day) and hard[0]["reason"]
    assert before["check"]["feasible"] and not [v for v in before["violations"] if v["hard"]]


def test_coverage_window_is_clipped_to_the_horizon_and_refuses_days_outside_it() -> None:
    client = client_for(rig(ScriptedSolver()))
    headers = bearer("staffing.read")
    body = client.get(f"/units/{UNIT}/coverage", params={"start": str(day(5)), "days": 7}, headers=headers).json()
    assert body["days"] == [str(day(5)), str(day(6))]
    assert len(body["cells"]) == 2 * 3
    outside = client.get(f"/units/{UNIT}/coverage", params={"start": str(day(30))}, headers=headers)
    assert outside.status_code == 422 and "outside unit 4W's planning horizon" in outside.json()["detail"]


def test_coverage_respects_unit_limits() -> None:
    client = client_for(rig(ScriptedSolver()))
    response = client.get(f"/units/{OTHER}/coverage", headers=bearer("staffing.read", units=[UNIT]))
    assert response.status_code == 403 and response.json()["status"] == 403


def test_console_files_are_served_with_a_strict_content_security_policy() -> None:
    client = client_for(rig(ScriptedSolver()))
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200 and "careshift" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    for asset in ("console.js", "console.css"):
        response = client.get(f"/console/{asset}")
        assert response.status_code == 200 and response.headers["content-security-policy"] == csp
    # Nothing the page loads comes from elsewhere.
    for text in (page.text, client.get("/console/console.js").text, client.get("/console/console.css").text):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_console_paths_stay_out_of_the_openapi_document() -> None:
    paths = client_for(rig(ScriptedSolver())).get("/openapi.json").json()["paths"]
    assert "/units/{unit}/coverage" in paths and "/auth/whoami" in paths
    assert not [p for p in paths if p.startswith("/console")]
