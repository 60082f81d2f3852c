"""Liveness and readiness; no authentication, no data."""

from __future__ import annotations

from fastapi import APIRouter

from careshift import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}
