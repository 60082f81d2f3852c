"""Start and drive the real FHIR test server (tests/fhir_server, @medplum/fhir-router).

``npm ci`` runs once if node_modules is missing; the server listens on a free port it reports
on stdout. The admin endpoints it exposes (no token needed) seed data, register SMART clients,
tune token lifetime and export polling, inject faults and report counters.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from careshift.adapters.fhir.auth import Algorithm, ClientRegistration
from tests.conftest import require_service
from tests.fhir_keys import public_jwk, registration

SERVER_DIR = Path(__file__).resolve().parents[1] / "fhir_server"


@dataclass
class FhirTestServer:
    origin: str

    @property
    def base_url(self) -> str:
        return f"{self.origin}/fhir"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/auth/token"

    def admin(self, path: str, body: Any = None) -> Any:
        response = httpx.post(f"{self.origin}/admin/{path}", json=body if body is not None else {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def seed(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.admin("resources", resources))

    def stats(self) -> dict[str, int]:
        return dict(self.admin("stats"))

    def register(self, algorithm: Algorithm = "ES384", client_id: str = "careshift-test") -> ClientRegistration:
        reg, key = registration(self.token_url, algorithm, client_id)
        self.admin("clients", {"client_id": client_id, "jwks": {"keys": [public_jwk(key, reg.key_id or "k")]}})
        return reg


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


@contextmanager
def running_fhir_server(startup_timeout: float = 60.0) -> Iterator[FhirTestServer]:
    require_service("FHIR test server (node + npm)", node_available(), "install Node.js 20 and npm")
    if not (SERVER_DIR / "node_modules").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=SERVER_DIR, check=True, timeout=600, capture_output=True
        )
    errors = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        ["node", "server.js", "--port", "0"], cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=errors, text=True
    )
    try:
        port = _read_port(process, errors, startup_timeout)
        server = FhirTestServer(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if httpx.get(f"{server.base_url}/metadata", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("FHIR test server did not answer /metadata")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        errors.close()


def _read_port(process: subprocess.Popen[str], errors: Any, timeout: float) -> int:
    found: dict[str, str] = {}

    def read() -> None:
        assert process.stdout is not None
        found["line"] = process.stdout.readline()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    line = found.get("line", "")
    if not line:
        process.kill()
        process.wait(timeout=10)
        errors.seek(0)
        raise RuntimeError(f"FHIR test server did not start: {errors.read()[-2000:]}")
    return int(json.loads(line)["port"])


class RecordingSleep:
    """Really sleeps (the server's Retry-After is real) but remembers how long."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        import asyncio

        self.calls.append(seconds)
        await asyncio.sleep(seconds)
