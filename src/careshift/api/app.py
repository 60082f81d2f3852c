"""The FastAPI application factory. Nothing here runs at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from careshift import __version__
from careshift.api import problems
from careshift.api.deps import ApiContext
from careshift.api.routers import (
    audit,
    decisions,
    forecasts,
    health,
    metrics,
    policies,
    recommendations,
    schedules,
    staff,
    units,
)
from careshift.telemetry.asgi import ResponseStatus
from careshift.telemetry.tracing import TraceRequests, configure_tracing, stop_tracing
from careshift.web.mount import mount_console

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider


class CountRequests:
    """Counts requests by route template and status (a plain ASGI middleware: the
    ``BaseHTTPMiddleware`` wrapper costs about a millisecond a request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = ResponseStatus(send)
        try:
            await self.app(scope, receive, status)
        finally:
            route = scope.get("route")
            metrics.REQUESTS.labels(getattr(route, "path", "unmatched"), str(status.code)).inc()


def create_app(context: ApiContext) -> FastAPI:
    """Build the API around ``context`` (keys, stores, clock) from the composition root."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        provider = _start_tracing()
        # What starting made (modules, planning data, solver objects) lives as long as the
        # process: out of the collector's way, a full collection scans only what requests made
        # instead of pausing every request for a quarter of a second (ADR 0012, item 20).
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if context.writer is not None:
                await context.writer.drain()  # writes on the loop end before the store closes
            for close in context.on_shutdown:
                close()
            if provider is not None:
                stop_tracing(provider)

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
        forecasts.read,
    )
    writers = (units.write, decisions.write)
    # Routes are matched in order; decisions are the hot writes, so their few routes go first.
    for router in (*writers, *readers):
        app.include_router(router)
    mount_console(app)

    app.add_middleware(CountRequests)
    app.add_middleware(TraceRequests)
    return app


def _start_tracing() -> SdkTracerProvider | None:
    """The exporter chosen by ``CARESHIFT_TRACING`` when the server starts (``off``: leave
    whatever provider is installed, the no-op one unless a test or host set one)."""
    from careshift.settings import Settings

    chosen = Settings().tracing
    return None if chosen == "off" else configure_tracing(chosen)
