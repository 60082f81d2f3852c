"""Schemathesis over the API's own OpenAPI document: no generated request gets a 5xx.

The API runs on memory ports with the small test ward and an admin token, so generated
requests reach the use cases (plans, decisions, approvals, candidates), not just auth.
"""

from __future__ import annotations

from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, settings

from careshift.api.app import create_app
from careshift.api.auth import SCOPES, generate_keys, mint
from careshift.api.deps import ApiContext
from careshift.service.errors import SolverFailed
from careshift.service.memory import MemoryAuditView
from careshift.service.messages import RepairAfterCallOut
from tests.unit.service_builders import UNIT, ScriptedSolver, called_out, current_roster, rig

KEYS = generate_keys()
RIG = rig(ScriptedSolver(error=SolverFailed("down")))
_gone = called_out(current_roster())
RIG.planning.call_out(UNIT, _gone.staff, _gone.day)
RIG.bus.handle(RepairAfterCallOut(UNIT))
APP = create_app(
    ApiContext(
        public_key_pem=KEYS.public_pem,
        audit=MemoryAuditView(RIG.state),
        clock=lambda: datetime.now(UTC),
        service=RIG.service,
        bus=RIG.bus,
    )
)
TOKEN = mint(KEYS, subject="fuzz", scopes=SCOPES, now=datetime.now(UTC), minutes=120)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
