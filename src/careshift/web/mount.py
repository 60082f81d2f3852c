"""Serve the scheduler console (static HTML, CSS and JavaScript) under ``/console/``.

The console is plain files with no build step and no external resources: a strict
Content-Security-Policy (everything from this origin, nothing inline) makes the browser
refuse anything else, so the page works on an isolated ward network. The console talks to
the same API with the bearer token the user pastes; the files themselves need no token.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/console"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page is small and changes with releases; never serve a stale console after an upgrade.
    "Cache-Control": "no-cache",
}


class ConsoleFiles(StaticFiles):
    """``StaticFiles`` that adds the console's security headers to every response."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount_console(app: FastAPI) -> None:
    """Add the console's read endpoints and serve its files at ``/console/``."""
    from careshift.api.routers import console

    app.include_router(console.read)

    @app.get(PREFIX, include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    app.mount(PREFIX, ConsoleFiles(directory=STATIC_DIR, html=True), name="console")
