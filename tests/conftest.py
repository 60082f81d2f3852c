"""Shared test configuration.

Tests that need a running server call ``require_service(name, reachable, how)``: on a laptop
without that server they skip with the reason; with ``CARESHIFT_REQUIRE_SERVICES=1`` (CI)
a missing server fails the test instead.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
REQUIRE_SERVICES = os.environ.get("CARESHIFT_REQUIRE_SERVICES") == "1"


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, available: bool, how: str) -> None:
    """Skip (or, in CI, fail) when ``name`` is not available; ``how`` says how to start it."""
    if available:
        return
    message = f"{name} is not available: {how}"
    if REQUIRE_SERVICES:
        pytest.fail(f"CARESHIFT_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


def shared_path(*parts: str) -> Path:
    """A path under ../shared (benchmarks, data); skips or fails like a missing service."""
    path = SHARED.joinpath(*parts)
    require_service("../shared data", path.exists(), f"expected {path} beside the repository")
    return path
