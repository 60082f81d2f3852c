"""Prometheus metrics in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "careshift_http_requests", "HTTP requests by route and status", ["route", "status"], registry=REGISTRY
)

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Counters for scraping."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
