"""OpenTelemetry traces: a server span per API request and spans around the use cases.

Off by default: without :func:`configure_tracing` every span comes from the API's no-op
tracer and costs next to nothing. ``CARESHIFT_TRACING=console`` prints finished spans as
JSON on stdout (the SDK's ``ConsoleSpanExporter``, batched); tests install their own
provider with :func:`use_provider` (an ``InMemorySpanExporter``).

What goes into attributes: route *templates* (``/recommendations/{recommendation_id}``),
methods, status codes, unit ids, recommendation ids, modes, solver status and time limit.
What never does: patient or encounter ids, request bodies, query strings, headers, tokens.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer, TracerProvider
from opentelemetry.util.types import AttributeValue
from starlette.types import ASGIApp, Receive, Scope, Send

from careshift import __version__
from careshift.telemetry.asgi import ResponseStatus

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

TRACER_NAME = "careshift"
Exporter = Literal["off", "console"]

_provider: TracerProvider | None = None


def use_provider(provider: TracerProvider | None) -> None:
    """Send careshift's spans to ``provider`` (``None``: back to the global one, a no-op unless
    the host application set one)."""
    global _provider
    _provider = provider


def tracer() -> Tracer:
    return trace.get_tracer(TRACER_NAME, __version__, tracer_provider=_provider)


def tracing_on() -> bool:
    """Whether spans go anywhere: a provider of ours, or a global one the host application set
    (until then the global provider is OpenTelemetry's proxy, whose spans record nothing)."""
    if _provider is not None:
        return True
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def configure_tracing(exporter: Exporter) -> SdkTracerProvider | None:
    """Install a provider for ``exporter`` (``off``: none). Returns it so the caller can shut
    it down (flushing batched spans) at exit."""
    if exporter == "off":
        use_provider(None)
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = SdkTracerProvider(
        resource=Resource.create({"service.name": "careshift", "service.version": __version__})
    )
    # sys.stdout as it is now: the exporter's default was bound when the SDK was imported
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
    use_provider(provider)
    return provider


def stop_tracing(provider: SdkTracerProvider) -> None:
    """Flush and close ``provider`` and stop sending spans to it."""
    provider.shutdown()
    if _provider is provider:
        use_provider(None)


@contextmanager
def span(name: str, **attributes: AttributeValue) -> Iterator[Span]:
    """A span around one use case; an exception escaping it is recorded and marks it an error.
    With tracing off, nothing is made (the invalid span takes and drops any attribute)."""
    if not tracing_on():
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(name, attributes=attributes) as current:
        yield current


def _headers(scope: Scope) -> dict[str, str]:
    # Only the W3C trace headers are read (never authorization or cookies).
    wanted = {b"traceparent", b"tracestate"}
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() in wanted}


class TraceRequests:
    """A server span per HTTP request, named ``METHOD /route/{template}`` (a plain ASGI
    middleware, like ``CountRequests``), continuing the caller's trace when it sends a
    ``traceparent`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not tracing_on():  # off: not even the no-op tracer's context work
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        status = ResponseStatus(send)
        parent = propagate.extract(_headers(scope))

        with tracer().start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method}
        ) as current:
            try:
                await self.app(scope, receive, status)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route is not None:
                    current.update_name(f"{method} {route}")
                    current.set_attribute("http.route", route)
                current.set_attribute("http.response.status_code", status.code)
                if status.code >= 500:
                    current.set_status(StatusCode.ERROR)
