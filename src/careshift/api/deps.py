"""Typed dependencies shared by the routers: settings, clock, the caller's principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from careshift.api.auth import AuthError, Principal, authenticate
from careshift.telemetry.audit import AuditStore


@dataclass
class ApiContext:
    """What the app needs at request time, built once by the composition root."""

    public_key_pem: bytes
    audit: AuditStore
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    issuer: str = "careshift"
    audience: str = "careshift-api"


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


def get_principal(request: Request, context: Context) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing bearer token; send 'Authorization: Bearer <token>'")
    return authenticate(
        token, context.public_key_pem, now=context.clock(), issuer=context.issuer, audience=context.audience
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def requires(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only principals holding ``scope`` (unit checks happen per route)."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        return principal

    dependency.__name__ = f"requires_{scope.replace('.', '_')}"
    return dependency
