"""Typed dependencies shared by the routers: settings, clock, the caller's principal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from careshift.api.auth import AuthError, Principal, authenticate
from careshift.domain.errors import ServiceUnavailableError
from careshift.service.bus import MessageBus
from careshift.service.commits import Cooperative, SerialWriter
from careshift.service.usecases import DecisionService
from careshift.telemetry.audit import AuditStore

T = TypeVar("T")


@dataclass
class ApiContext:
    """What the app needs at request time, built once by the composition root."""

    public_key_pem: bytes
    audit: AuditStore
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    issuer: str = "careshift"
    audience: str = "careshift-api"
    service: DecisionService | None = None
    bus: MessageBus | None = None
    on_shutdown: list[Callable[[], None]] = field(default_factory=list)
    """Run when the server stops (uvicorn re-raises SIGTERM after its shutdown, so code after
    ``uvicorn.run`` never runs: the solver pool must be closed here)."""
    writer: SerialWriter | None = None
    """Runs decisions and approvals one after another (created on first use)."""
    writes_on_loop: Cooperative | None = None
    """When the store allows it (``Services.writes_on_loop``), the writer runs on the event loop."""

    def decisions(self) -> DecisionService:
        """The decision service, or 503 when this process was started without one."""
        if self.service is None:
            raise ServiceUnavailableError("this API process has no decision service configured; start it with serve")
        return self.service

    def message_bus(self) -> MessageBus:
        if self.bus is None:
            self.bus = MessageBus(self.decisions())
        return self.bus

    async def write(self, work: Callable[[], T]) -> T:
        """Run a write use case on this process's single writer and return once what it
        committed is on disk (``service.commits.SerialWriter``)."""
        if self.writer is None:
            self.writer = SerialWriter(on_loop=self.writes_on_loop)
            self.on_shutdown.insert(0, self.writer.close)  # before the store it writes to closes
        return await self.writer.run(work)


async def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


async def get_principal(request: Request, context: Context) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing bearer token; send 'Authorization: Bearer <token>'")
    return authenticate(
        token, context.public_key_pem, now=context.clock(), issuer=context.issuer, audience=context.audience
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def requires(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only principals holding ``scope`` (unit checks happen per route)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        return principal

    dependency.__name__ = f"requires_{scope.replace('.', '_')}"
    return dependency


#: The OpenAPI extension naming the scope a write endpoint needs (the scope test reads it).
SCOPE_EXTENSION = "x-required-scope"


def write_scope(scope: str) -> dict[str, Any]:
    """``openapi_extra`` for a write endpoint needing ``scope``."""
    return {SCOPE_EXTENSION: scope}


def for_unit(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting principals with ``scope`` on the ``{unit}`` path parameter."""

    async def dependency(unit: str, principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        principal.require(scope, unit)
        return principal

    dependency.__name__ = f"unit_{scope.replace('.', '_')}"
    return dependency


@dataclass(frozen=True)
class OnRecommendation:
    """The caller and the recommendation named in the path (its id and unit: load the rest if needed)."""

    principal: Principal
    id: str
    unit: str


def for_recommendation(scope: str) -> Callable[..., Awaitable[OnRecommendation]]:
    """A dependency admitting principals with ``scope`` on the unit of ``{recommendation_id}``.

    The scope is checked before the lookup, so a token without it learns nothing about
    which recommendations exist. A recommendation's unit never changes, so once looked up it
    is checked without a database call (status and version are checked by the use case).
    """

    async def dependency(recommendation_id: str, principal: CurrentPrincipal, context: Context) -> OnRecommendation:
        principal.require(scope)
        service = context.decisions()
        unit = service.known_unit(recommendation_id)
        if unit is None:
            unit = (await run_in_threadpool(service.recommendation_state, recommendation_id)).unit
        principal.require(scope, unit)
        return OnRecommendation(principal, recommendation_id, unit)

    dependency.__name__ = f"recommendation_{scope.replace('.', '_')}"
    return dependency
