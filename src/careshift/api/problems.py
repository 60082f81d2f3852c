"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from careshift.api.auth import AuthError
from careshift.domain.errors import CareshiftError, DomainError, InfeasibleError, InputError, ServiceUnavailableError
from careshift.service.errors import ConflictError, NotFoundError

PROBLEM_BASE = "https://careshift.org/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, kind: str, instance: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="careshift"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Map our error tree and FastAPI's own errors to problem details."""

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        title = "Forbidden" if exc.status == 403 else "Unauthorized"
        return problem(
            exc.status, title, str(exc), "forbidden" if exc.status == 403 else "unauthorized", request.url.path
        )

    @app.exception_handler(InfeasibleError)
    async def _infeasible(request: Request, exc: InfeasibleError) -> JSONResponse:
        return problem(
            422, "No feasible schedule", str(exc), "infeasible", request.url.path, relaxations=list(exc.relaxations)
        )

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return problem(422, "Invalid input", str(exc), "invalid-input", request.url.path, location=exc.location)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, "Not found", str(exc), "not-found", request.url.path)

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem(409, "Conflict", str(exc), "conflict", request.url.path)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(422, "Invalid request", str(exc), "invalid-request", request.url.path)

    @app.exception_handler(ServiceUnavailableError)
    async def _unavailable(request: Request, exc: ServiceUnavailableError) -> JSONResponse:
        return problem(503, "Service unavailable", str(exc), "unavailable", request.url.path)

    @app.exception_handler(CareshiftError)
    async def _other(request: Request, exc: CareshiftError) -> JSONResponse:
        return problem(500, "Internal error", str(exc), "internal", request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(err.get("loc", ())), "msg": str(err.get("msg", ""))} for err in exc.errors()]
        return problem(
            422,
            "Invalid request",
            "the request does not match the API schema",
            "invalid-request",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail), f"http-{exc.status_code}", request.url.path)
