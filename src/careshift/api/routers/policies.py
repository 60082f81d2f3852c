"""Policy packs bundled with careshift (read only; packs change by release, not by API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from careshift.api.auth import Principal
from careshift.api.deps import requires
from careshift.service.errors import NotFoundError

read = APIRouter(prefix="/policies", tags=["policies"])
Reader = Annotated[Principal, Depends(requires("staffing.read"))]


@read.get("")
def list_policies(_: Reader) -> list[dict[str, Any]]:
    """Bundled packs with their ids, titles, jurisdictions and versions (content hashes)."""
    from careshift.policy import bundled_packs, load_pack

    out = []
    for name in sorted(bundled_packs()):
        pack = load_pack(name)
        out.append({"id": pack.id, "title": pack.title, "jurisdiction": pack.jurisdiction, "version": pack.version})
    return out


@read.get("/{pack_id}")
def get_policy(pack_id: str, _: Reader) -> dict[str, Any]:
    """One pack's resolved rules (id, family, hard or soft, weight)."""
    from careshift.policy import bundled_packs, load_pack

    if pack_id not in bundled_packs():
        raise NotFoundError(f"no bundled policy pack {pack_id!r}; list them with GET /policies")
    pack = load_pack(pack_id)
    return {
        "id": pack.id,
        "title": pack.title,
        "version": pack.version,
        "lineage": list(pack.lineage),
        "rules": [{"id": r.id, "family": r.family, "hard": r.hard, "weight": r.weight} for r in pack.rules],
    }
