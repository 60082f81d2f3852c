"""The MLLP listener as a real subprocess: ordered ACKs on a pipelined connection, TLS, safe start-up."""

from __future__ import annotations

import datetime as dt
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from careshift.adapters.hl7v2.client import MllpClient, ack_code, ack_control_id
from careshift.adapters.store import SqlStore
from tests.hl7_builders import adt
from tests.integration.mllp_support import ROOT, ListenerProcess
from tests.integration.store_support import sqlite_url


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[ListenerProcess]:
    process = ListenerProcess(sqlite_url(tmp_path))
    process.start()
    yield process
    process.stop()


def test_pipelined_messages_are_answered_in_order_and_committed(listener: ListenerProcess) -> None:
    messages = [
        adt("A01", "P1"),
        adt("A01", "P2", visit="V2"),
        adt("A01", "P3", unit=""),
        adt("A01", "P1"),
        b"MSH|^~\\&|broken",
        adt("A03", "P4", minutes=30),
        adt("A01", "P5", visit="V5", ack_modes=("AL", "NE")),
        adt("A01", "P6", visit="V6", ack_modes=("AL", "AL"), unit=""),
    ]
    with MllpClient("127.0.0.1", listener.port) as client:
        for message in messages:
            client.write(message)
        acks = [client.receive() for _ in messages]
    assert [ack_code(ack) for ack in acks] == ["AA", "AA", "AE", "AA", "AR", "AA", "CA", "CE"]
    assert [ack_control_id(ack) for ack in acks] == ["P1", "P2", "P3", "P1", "", "P4", "P5", "P6"]
    store = SqlStore(listener.db_url, migrate=False)
    try:
        counts = store.counts()
        assert (counts.messages, counts.total, counts.quarantined) == (4, 4, 3)
    finally:
        store.close()
    assert listener.alive


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_listener_accepts_over_tls_only(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    process = ListenerProcess(sqlite_url(tmp_path), extra=["--tls-cert", str(cert), "--tls-key", str(key)])
    process.start()
    try:
        context = ssl.create_default_context(cafile=str(cert))
        with MllpClient("localhost", process.port, tls=context) as client:
            assert ack_code(client.send(adt("A01", "TLS1"))) == "AA"
        with pytest.raises((ConnectionError, OSError)), MllpClient("127.0.0.1", process.port, timeout=3) as plain:
            plain.send(adt("A01", "PLAIN"))
        assert process.alive
    finally:
        process.stop()


def test_refuses_to_start_without_a_hash_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CARESHIFT_ID_HASH_KEY"}
    env["PYTHONPATH"] = str(ROOT / "src")
    result = subprocess.run(
        [sys.executable, "-m", "careshift", "ingest", "mllp", "--port", "0", "--db", sqlite_url(tmp_path)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert b"CARESHIFT_ID_HASH_KEY is not set" in result.stderr


def test_sigterm_stops_the_listener_cleanly_after_answering(tmp_path: Path) -> None:
    process = ListenerProcess(sqlite_url(tmp_path))
    process.start()
    with MllpClient("127.0.0.1", process.port) as client:
        assert ack_code(client.send(adt("A01", "T1"))) == "AA"
    assert process.stop() == 0
