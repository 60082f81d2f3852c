"""Reading and verifying the audit chain (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

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


@router.get("/entries")
def entries(
    context: Context,
    _: Admin,
    after: Annotated[int, Query(ge=-1, description="Only entries with a higher sequence number")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Audit entries in chain order: who (actor), with which scope, did what, and the hashes."""
    out: list[dict[str, Any]] = []
    for entry in context.audit.entries():
        if entry.seq <= after:
            continue
        out.append(
            {
                "seq": entry.seq,
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "scope": entry.scope,
                "action": entry.action,
                "payload": dict(entry.payload),
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )
        if len(out) >= limit:
            break
    return out
