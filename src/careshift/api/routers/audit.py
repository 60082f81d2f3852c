"""Reading and verifying the audit chain (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from careshift.api.auth import Principal
from careshift.api.deps import Context, requires
from careshift.telemetry.audit import verify

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Principal, Depends(requires("staffing.admin"))]


@router.get("/verify")
def verify_chain(context: Context, _: Admin) -> dict[str, Any]:
    """Recompute the hash chain; report the first altered or missing entry."""
    report = verify(context.audit.entries())
    return {"entries": report.entries, "ok": report.ok, "broken_at": report.broken_at, "problem": report.problem}
