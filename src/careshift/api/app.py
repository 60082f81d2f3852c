"""The FastAPI application factory. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careshift import __version__
from careshift.api import problems
from careshift.api.deps import ApiContext
from careshift.api.routers import audit, decisions, health, metrics, policies, recommendations, schedules, staff, units
from careshift.web.mount import mount_console


class CountRequests:
    """Counts requests by route template and status (a plain ASGI middleware: the
    ``BaseHTTPMiddleware`` wrapper costs about a millisecond a request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def remember(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            route = scope.get("route")
            metrics.REQUESTS.labels(getattr(route, "path", "unmatched"), str(status)).inc()


def create_app(context: ApiContext) -> FastAPI:
    """Build the API around ``context`` (keys, stores, clock) from the composition root."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for close in context.on_shutdown:
                close()

    app = FastAPI(
        lifespan=lifespan,
        title="careshift",
        version=__version__,
        description="Staffing decision service: forecasts, rosters, recommendations, decisions, audit.",
    )
    app.state.context = context
    problems.install(app)
    # Reads and writes are separate routers: writes declare their scope in OpenAPI
    # (``x-required-scope``), which the scope test walks.
    readers = (
        health.router,
        metrics.router,
        audit.router,
        units.read,
        staff.read,
        policies.read,
        schedules.read,
        recommendations.read,
        decisions.read,
    )
    writers = (units.write, decisions.write)
    for router in (*readers, *writers):
        app.include_router(router)
    mount_console(app)

    app.add_middleware(CountRequests)
    return app
