"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


#: Errors whose problem document is just status, title and the error's message.
#: Starlette picks the handler of the nearest class in the exception's MRO, so order does not matter.
PLAIN_PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    NotFoundError: (404, "Not found", "not-found"),
    ConflictError: (409, "Conflict", "conflict"),
    DomainError: (422, "Invalid request", "invalid-request"),
    ServiceUnavailableError: (503, "Service unavailable", "unavailable"),
    CareshiftError: (500, "Internal error", "internal"),
}


def _plain_handler(status: int, title: str, kind: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return problem(status, title, str(exc), kind, request.url.path)

    return handler


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

    for error_type, (status, title, kind) in PLAIN_PROBLEMS.items():
        app.add_exception_handler(error_type, _plain_handler(status, title, kind))

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
