"""The FastAPI application factory. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from careshift import __version__
from careshift.api import problems
from careshift.api.deps import ApiContext
from careshift.api.routers import audit, decisions, health, metrics, policies, recommendations, schedules, staff, units
from careshift.web.mount import mount_console


def create_app(context: ApiContext) -> FastAPI:
    """Build the API around ``context`` (keys, stores, clock) from the composition root."""
    app = FastAPI(
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

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        route = request.scope.get("route")
        metrics.REQUESTS.labels(getattr(route, "path", "unmatched"), str(response.status_code)).inc()
        return response

    return app
