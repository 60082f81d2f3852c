"""The decision API on memory ports: the scope walk over the OpenAPI document, the decision
flow over HTTP, and problem details for conflicts."""

from __future__ import annotations

import gc
import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from careshift.api.app import create_app
from careshift.api.auth import SCOPES, generate_keys, mint
from careshift.api.deps import SCOPE_EXTENSION, ApiContext
from careshift.domain.recommendations import UnitMode
from careshift.service.errors import SolverFailed
from careshift.service.memory import MemoryAuditView
from careshift.service.messages import RepairAfterCallOut
from tests.unit.service_builders import OTHER, UNIT, Rig, ScriptedSolver, called_out, current_roster, rig

NOW = datetime(2024, 1, 1, 6, tzinfo=UTC)
KEYS = generate_keys()
READ_METHODS = {"get", "head", "options"}


def api(r: Rig) -> TestClient:
    context = ApiContext(
        public_key_pem=KEYS.public_pem, audit=MemoryAuditView(r.state), clock=r.clock, service=r.service, bus=r.bus
    )
    return TestClient(create_app(context))


def bearer(*scopes: str, units: list[str] | None = None, subject: str = "u1", role: str = "charge") -> dict[str, str]:
    token = mint(KEYS, subject=subject, role=role, scopes=scopes, now=NOW, units=units)
    return {"Authorization": f"Bearer {token}"}


def prepared() -> tuple[Rig, TestClient, str]:
    r = rig(ScriptedSolver(error=SolverFailed("down")))
    gone = called_out(current_roster())
    r.planning.call_out(UNIT, gone.staff, gone.day)
    rec = r.bus.handle(RepairAfterCallOut(UNIT)).recommendation
    return r, api(r), rec.id


def write_operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method not in READ_METHODS
    ]


def test_every_write_endpoint_refuses_a_token_without_its_scope_or_for_another_unit() -> None:
    r, client, rec_id = prepared()
    operations = write_operations(client)
    assert len(operations) >= 5  # plan, repair, mode, decisions, approval — and whatever comes next
    audit_before = len(r.state.audit)
    params = {"unit": UNIT, "recommendation_id": rec_id}
    for method, path, operation in operations:
        scope = operation.get(SCOPE_EXTENSION)
        assert scope in SCOPES, f"{method.upper()} {path} declares no {SCOPE_EXTENSION}; every write must"
        url = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
        assert "{" not in url, f"{path}: teach this test its path parameter"
        assert client.request(method, url, json={}).status_code == 401, (method, path)
        others = [s for s in SCOPES if s != scope and s != "staffing.admin"]
        refused = client.request(method, url, json={}, headers=bearer(*others))
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        elsewhere = client.request(method, url, json={}, headers=bearer(*SCOPES, units=[OTHER]))
        assert elsewhere.status_code == 403 and "limited to units" in elsewhere.json()["detail"], (method, path)
    assert len(r.state.audit) == audit_before  # nothing changed


def test_read_endpoints_refuse_another_unit_too() -> None:
    _, client, rec_id = prepared()
    for url in (f"/units/{UNIT}/recommendations/current", f"/recommendations/{rec_id}", f"/units/{UNIT}/schedule"):
        assert client.get(url, headers=bearer("staffing.read", units=[OTHER])).status_code == 403
        assert client.get(url, headers=bearer("staffing.read", units=[UNIT])).status_code == 200


def test_decision_flow_over_http() -> None:
    r, client, first = prepared()
    decider = bearer("staffing.read", "staffing.decide", units=[UNIT], subject="bob")
    approver = bearer("staffing.read", "staffing.approve", units=[UNIT], subject="carol", role="manager")

    current = client.get(f"/units/{UNIT}/recommendations/current", headers=decider).json()
    assert current["id"] == first and current["produced_by"] == "greedy_repair"
    assert current["check"]["feasible"] and len(current["summary"]) < 140 and current["reasons"]

    missing_reason = client.post(f"/recommendations/{first}/decisions", json={"outcome": "overridden"}, headers=decider)
    assert missing_reason.status_code == 422 and "reason code" in missing_reason.json()["detail"]
    body = {"outcome": "overridden", "reason_code": "preference.staff-declined", "comment": "she is off sick too"}
    assert client.post(f"/recommendations/{first}/decisions", json=body, headers=decider).status_code == 201

    again = client.post(f"/units/{UNIT}/repair", headers=decider)
    assert again.status_code == 200
    plan = again.json()
    assert plan["produced_by"] == "greedy_repair" and plan["check"]["feasible"]
    second = plan["recommendation"]["id"]
    accepted = client.post(f"/recommendations/{second}/decisions", json={"outcome": "accepted"}, headers=decider)
    assert accepted.json()["user"] == "bob" and accepted.json()["role"] == "charge"

    assert client.post(f"/recommendations/{second}/approval", json={}, headers=decider).status_code == 403
    approved = client.post(f"/recommendations/{second}/approval", json={}, headers=approver)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    twice = client.post(f"/recommendations/{second}/approval", json={}, headers=approver)
    assert twice.status_code == 409 and twice.json()["type"].endswith("/conflict")

    log = client.get("/decisions", params={"unit": UNIT}, headers=decider).json()
    assert [d["outcome"] for d in log] == ["overridden", "accepted"]
    schedule = client.get(f"/units/{UNIT}/schedule/approved", headers=decider).json()
    assert schedule["recommendation_id"] == second and schedule["approved_by"] == "carol"

    admin = bearer("staffing.admin", subject="root")
    entries = client.get("/audit/entries", headers=admin).json()
    actions = [(e["action"], e["actor"], e["scope"]) for e in entries]
    assert actions[-4:] == [
        ("decision.overridden", "bob", "staffing.decide@4W"),
        ("recommendation.repair.created", "bob", "staffing.decide@4W"),
        ("decision.accepted", "bob", "staffing.decide@4W"),
        ("recommendation.approved", "carol", "staffing.approve@4W"),
    ]
    assert client.get("/audit/verify", headers=admin).json()["ok"] is True
    assert r.state.outbox


def test_a_remembered_unit_still_keeps_other_units_out_and_unknown_ids_are_404() -> None:
    """The access check remembers each recommendation's unit (it never changes) instead of
    reading it per request; the answers must not change once it has."""
    r, client, rec_id = prepared()
    mine = bearer("staffing.read", "staffing.decide", units=[UNIT])
    theirs = bearer("staffing.read", "staffing.decide", units=[OTHER])
    defer = {"outcome": "deferred", "reason_code": "context.need-more-info"}
    assert r.service.known_unit(rec_id) is None
    assert client.get(f"/recommendations/{rec_id}", headers=mine).status_code == 200
    assert r.service.known_unit(rec_id) == UNIT
    for _ in range(2):
        refused = client.post(f"/recommendations/{rec_id}/decisions", json=defer, headers=theirs)
        assert refused.status_code == 403 and "limited to units" in refused.json()["detail"]
        assert client.get(f"/recommendations/{rec_id}", headers=theirs).status_code == 403
    assert client.post(f"/recommendations/{rec_id}/decisions", json=defer, headers=mine).status_code == 201
    assert client.post("/recommendations/no-such-id/decisions", json=defer, headers=mine).status_code == 404
    assert r.service.known_unit("no-such-id") is None
    assert [d.decision.user for d in r.service.decisions(rec_id)] == ["u1"]


def test_mode_change_and_reads() -> None:
    r, client, _ = prepared()
    admin = bearer("staffing.admin", subject="root")
    changed = client.put(f"/units/{UNIT}/mode", json={"mode": "shadow", "reason": "audit week"}, headers=admin)
    defaults = {"max_risk": 0.4, "min_confidence": 0.7}
    assert changed.json() == {"unit": UNIT, "mode": "shadow", **defaults}
    assert r.service.mode(UNIT) is UnitMode.SHADOW
    reader = bearer("staffing.read", units=[UNIT])
    assert client.get("/units", headers=reader).json() == [{"unit": UNIT, "mode": "shadow", **defaults}]
    staff = client.get(f"/units/{UNIT}/staff", headers=reader).json()
    assert [s["id"] for s in staff] == list("ABCDEF")
    gone = called_out(current_roster())
    ranked = client.get(
        f"/units/{UNIT}/candidates", params={"day": gone.day.isoformat(), "shift": gone.shift}, headers=reader
    ).json()
    assert ranked[0]["eligible"] and all("why" in c for c in ranked)
    assert client.get("/recommendations/nope", headers=reader).status_code == 404
    unknown = client.put("/units/9Z/mode", json={"mode": "off"}, headers=admin)
    assert unknown.status_code == 422 and "unknown unit" in unknown.json()["detail"]
    policies = client.get("/policies", headers=reader).json()
    assert any(p["id"] == "us-ca-title22" for p in policies)


def test_shutdown_hooks_run_when_the_server_stops() -> None:
    closed: list[str] = []
    context = ApiContext(public_key_pem=KEYS.public_pem, audit=MemoryAuditView(rig(ScriptedSolver()).state))
    context.on_shutdown.append(lambda: closed.append("pool"))
    with TestClient(create_app(context)) as client:
        assert client.get("/health").status_code == 200
        assert closed == []
    assert closed == ["pool"]


def test_while_serving_what_starting_made_is_kept_out_of_the_collectors_way() -> None:
    """The lifespan freezes the objects made before serving (a full collection then does not
    pause every request to scan them) and gives them back to the collector at shutdown."""
    before = gc.get_freeze_count()
    with api(rig(ScriptedSolver(None))) as client:
        assert gc.get_freeze_count() > before
        assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == before
